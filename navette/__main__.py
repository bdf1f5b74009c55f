from navette.cli import main

main()
