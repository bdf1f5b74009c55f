"""Navette: library management system and public portal for networks of public libraries."""
