"""Masking of personal data: every kind is masked, ordinary numbers and words are not."""

from __future__ import annotations

import pytest

from bot.domain.masking import EMAIL, LINK, MENTION, PHONE, mask


@pytest.mark.parametrize(
    "email",
    [
        "ana@example.com",
        "ana.silva+coaching@mail.example.co.uk",
        "J.Muller@coaching-praxis.de",
        "joão@exemplo.com.br",
    ],
)
def test_emails_are_masked(email: str) -> None:
    assert mask(f"Write to {email}, please.") == f"Write to {EMAIL}, please."


@pytest.mark.parametrize(
    "phone",
    [
        "+49 170 1234567",
        "+49 (0)170 1234567",
        "+1 (555) 123-4567",
        "+1-555-123-4567",
        "+33 6 12 34 56 78",
        "+55 11 91234-5678",
        "+351 912 345 678",
        "+4917012345678",
        "0049 170 1234567",
        "0170 1234567",
        "0170-1234567",
        "030/12345678",
        "(030) 1234 5678",
        "06 12 34 56 78",
        "020 7946 0958",
        "555-123-4567",
        "555.123.4567",
        "(555) 123-4567",
        "612 345 678",
        "91 123 45 67",
        "(11) 91234-5678",
        "91234-5678",
    ],
)
def test_phone_numbers_are_masked(phone: str) -> None:
    assert mask(f"Call me on {phone}.") == f"Call me on {PHONE}."
    assert mask(f"({phone})") == f"({PHONE})"


@pytest.mark.parametrize(
    "url",
    [
        "https://coachingfederation.org/ethics/code-of-ethics",
        "http://example.com/a?b=c&d=e",
        "www.example.de/impressum",
        "example.com",
        "calendly.com/ana-coaching",
        "discord.gg/abc123",
        "bit.ly/3xYz",
    ],
)
def test_links_are_masked(url: str) -> None:
    assert mask(f"See {url}.") == f"See {LINK}."


@pytest.mark.parametrize(
    "mention",
    [
        "<@123456789012345678>",
        "<@!123456789012345678>",
        "<@&123456789012345678>",
        "<#123456789012345678>",
        "@everyone",
        "@here",
    ],
)
def test_mentions_are_masked(mention: str) -> None:
    assert mask(f"Ask {mention} first") == f"Ask {MENTION} first"


@pytest.mark.parametrize(
    "text",
    [
        "We met on 2024-05-12, 12.05.2024 and 12/05/2024, again on 01.02.2024.",
        "From 01/2023-12/2024 and 01.02.-03.02.2024, in 2020-2024.",
        "Sessions at 14:30, 9h30 or 9:00-17:00.",
        "Since 1999, and again in 2024.",
        "Support is available 24/7.",
        "It costs $1,000,000.00, 1.500 €, R$ 2.500,00, 0,50 €, £40 or 100 000 EUR.",
        "About 15% or 0.5 of the sessions, 3-4 times, 1-2-3.",
        "See ICF Code 4.1, section 3.2.1, standard 22, clause 0.5.1 and 2.3.1.4.",
        "E.g. this, i.e. that, z.B. dies, the U.S. and Dr.Med. titles.",
        "In 10115 Berlin, room 0.12, a 1/2/3/4/5/6/7 scale.",
        "Coaching is not therapy: the contract says so.",
    ],
)
def test_ordinary_text_and_numbers_are_kept(text: str) -> None:
    assert mask(text) == text


def test_a_realistic_reply_keeps_its_advice_and_loses_its_personal_data() -> None:
    reply = (
        "Per ICF 2.3 I'd review the agreement on 12.05.2024 with <@!123456789012345678>; "
        "reach me at coach@example.org or 0170 1234567 (24/7), notes at https://x.example.com/n."
    )
    assert mask(reply) == (
        f"Per ICF 2.3 I'd review the agreement on 12.05.2024 with {MENTION}; "
        f"reach me at {EMAIL} or {PHONE} (24/7), notes at {LINK}."
    )
