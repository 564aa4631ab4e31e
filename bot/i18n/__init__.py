"""Localization: supported locales, negotiation, gettext catalogs and Discord's translator."""
