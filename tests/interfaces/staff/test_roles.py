"""Staff roles: who may reach which page."""

import pytest

from navette.core.models import Role, User

pytestmark = pytest.mark.django_db


def make(username, role, libraries=()):
    user = User(username=username, role=role)
    user.set_password("un-mot-de-passe-long")
    user.save()
    user.libraries.set(libraries)
    return user


def test_staff_pages_need_a_login(client):
    response = client.get("/personnel/")
    assert response.status_code == 302
    assert response["Location"].startswith("/personnel/connexion/")
    assert client.get("/personnel/reseau/").status_code == 302


def test_librarian_is_refused_network_administrator_pages(client, relire):
    librarian = make("biblio", Role.LIBRARIAN, [relire["lens"]])
    client.force_login(librarian)
    assert client.get("/personnel/").status_code == 200
    assert client.get("/personnel/reseau/").status_code == 403
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 302 and "/admin/login/" in admin_page["Location"]
    assert client.get("/admin/network/library/").status_code == 302


def test_statistician_is_refused_network_administrator_pages(client):
    client.force_login(make("stats", Role.STATISTICIAN))
    assert client.get("/personnel/reseau/").status_code == 403
    assert client.get("/admin/").status_code == 302


def test_network_administrator_reaches_everything(client, relire):
    client.force_login(make("admin", Role.NETWORK_ADMIN))
    assert client.get("/personnel/reseau/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/network/library/").status_code == 200
    assert client.get(f"/admin/network/library/{relire['lens'].pk}/change/").status_code == 200


def test_admin_access_follows_the_role():
    user = make("x", Role.NETWORK_ADMIN)
    assert user.is_staff and user.is_superuser
    user.role = Role.LIBRARIAN
    user.save()
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser


def test_librarian_works_only_at_their_libraries(relire):
    librarian = make("b", Role.LIBRARIAN, [relire["lens"]])
    assert librarian.can_work_at(relire["lens"].pk)
    assert not librarian.can_work_at(relire["harnes"].pk)
    assert make("a", Role.NETWORK_ADMIN).can_work_at(relire["harnes"].pk)
    assert not make("s", Role.STATISTICIAN).can_work_at(relire["lens"].pk)


def test_staff_login_page_logs_in(client, relire):
    make("biblio", Role.LIBRARIAN, [relire["lens"]])
    bad = client.post("/personnel/connexion/", {"username": "biblio", "password": "faux"})
    assert bad.status_code == 200 and "incorrect" in bad.content.decode()
    ok = client.post(
        "/personnel/connexion/", {"username": "biblio", "password": "un-mot-de-passe-long"}
    )
    assert ok.status_code == 302
    assert client.get("/personnel/").status_code == 200
