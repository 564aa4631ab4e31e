"""Use cases over ports. Services know neither discord.py interactions nor SQL."""
