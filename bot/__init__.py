"""Intervision: a Discord bot for peer case consultation in coaching communities."""
