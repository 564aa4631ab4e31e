"""Masking of personal data: every kind is masked, ordinary numbers and words are not."""

from __future__ import annotations

import pytest

from bot.domain.masking import EMAIL, IBAN, LINK, MENTION, NUMBER, PHONE, mask


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
        # international numbers typed without the plus, or with it in parentheses
        "49 170 1234567",
        "49-170-1234567",
        "49/170/1234567",
        "49.170.1234567",
        "49 (0)170 1234567",
        "(+49) 170 1234567",
        "55 11 91234 5678",
        "351 912 345 678",
        "33 612 345 678",
    ],
)
def test_phone_numbers_are_masked(phone: str) -> None:
    assert mask(f"Call me on {phone}.") == f"Call me on {PHONE}."
    assert mask(f"({phone})") == f"({PHONE})"


@pytest.mark.parametrize(
    "number",
    [
        "491701234567",  # a phone number typed as bare digits
        "4917012345678",
        "1701234567",
        "612345678",
        "12345678",  # eight digits that are not a date
        "0532013000123",
        "123456789012345678",  # a Discord user id
        "4111 1111 1111 1111",  # a card number
        "1234 5678 9012",
    ],
)
def test_long_numbers_are_masked(number: str) -> None:
    assert mask(f"My number is {number}.") == f"My number is {NUMBER}."
    assert mask(f"({number})") == f"({NUMBER})"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "de89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "FR76 3000 6000 0112 3456 7890 189",
        "ES91 2100 0418 4502 0005 1332",
        "PT50 0002 0123 1234 5678 9015 4",
        "BR15 0000 0000 0000 1093 2840 814P 2",
        "NL91 ABNA 0417 1643 00",
        "NO93 8601 1117 947",
    ],
)
def test_ibans_are_masked(iban: str) -> None:
    assert mask(f"Pay to {iban}, thanks.") == f"Pay to {IBAN}, thanks."


def test_a_word_after_an_iban_is_kept() -> None:
    assert mask("IBAN BE68 5390 0754 7034 BIC GKCCBEBB") == f"IBAN {IBAN} BIC GKCCBEBB"


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
        "On 20240512, 12052024 or 05122024 we met; 3 of 45 members came, 120 of 1000000.",
        "In 2020 2021 2022, Q3 2025, B2B, ISO 9001 and ISO 27001, A4 and MP3.",
        "It grew to 100 000 000, 1 000 000 000 or 1.000.000.000 users.",
        "It costs $100000000, € 250000000 or 1234567890.50.",
        "Rounds 1 2 3 4 5 6 7 8 9 10 11 12 and 10 20 30 40 50; pages 120 121 122 123.",
        "Open 0900-1700, on 12 05 2024 at 14:30, 15 % or 15%, ticket 1234567.",
        "DE12 ABCD EFGH IJKL and AB12 is a code, not an account.",
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
