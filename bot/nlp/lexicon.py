"""Multilingual cue lexicon (stems) per theme and a small negation-scope rule.

Used as *extra features* of the theme classifier, never alone: cue words alone generalise badly
to paraphrases. Texts are lower-cased and accent-folded before matching; every cue is a
word-initial prefix ("supervis" matches supervisor/supervisão/Supervision). Languages: en, de,
pt, es, fr, plus a few it/nl/pl forms.

Contract of :func:`cue_features`: a ``(2 * len(THEMES) + 1,)`` float32 vector: for each theme,
1.0 if a cue of that theme occurs outside a negation scope; then for each theme 1.0 if a cue
occurs inside a negation scope; last, 1.0 if the text contains any negation cue at all.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import numpy as np
import numpy.typing as npt

from bot.domain.taxonomy import THEMES

CUES: Final[dict[str, tuple[str, ...]]] = {
    "agreement": (
        "agreement",
        "contract",
        "nda",
        "code of ethic",
        "ethics code",
        "terms we agreed",
        "what we agreed",
        "confidentiality clause",
        "vereinbarung",
        "vertrag",
        "ethikkodex",
        "ethik-kodex",
        "verhaltenskodex",
        "abmachung",
        "acordo",
        "contrato",
        "codigo de etica",
        "código de ética",
        "compromisso",
        "acuerdo",
        "convenio",
        "pacto",
        "contrat",
        "accord",
        "charte",
        "code de deontologie",
        "deontolog",
        "accordo",
        "contratto",
        "overeenkomst",
        "afspraak",
        "afspraken",
        "umow",
        "kodeks",
    ),
    "explore_motives": (
        "why",
        "motiv",
        "reason",
        "underlying need",
        "what is behind",
        "what's behind",
        "what lies behind",
        "driving",
        "intention",
        "reflect",
        "explore",
        "curious",
        "warum",
        "wieso",
        "weshalb",
        "grund",
        "beweggr",
        "bedurfnis",
        "bedürfnis",
        "hintergr",
        "dahinter",
        "reflekt",
        "erkund",
        "hinterfrag",
        "por que",
        "porque",
        "razo",
        "razõ",
        "motivo",
        "necessidade",
        "reflet",
        "reflex",
        "explorar",
        "por qué",
        "razon",
        "razón",
        "necesidad",
        "pourquoi",
        "raison",
        "besoin",
        "explorer",
        "perche",
        "perché",
        "ragion",
        "waarom",
        "dlaczego",
        "powod",
    ),
    "consequences": (
        "consequen",
        "risk",
        "impact",
        "fallout",
        "repercussion",
        "implication",
        "what could happen",
        "damage",
        "folgen",
        "konsequenz",
        "auswirkung",
        "risiko",
        "riskant",
        "schaden",
        "consequência",
        "consequencia",
        "risco",
        "impacto",
        "implica",
        "riesgo",
        "conséquence",
        "consequence",
        "risque",
        "conseguenz",
        "rischi",
        "gevolg",
        "konsekwenc",
        "ryzyk",
        "skutk",
    ),
    "alternatives": (
        "alternativ",
        "other way",
        "another way",
        "other option",
        "different way",
        "brainstorm",
        "options",
        "instead",
        "andere weg",
        "anderen weg",
        "möglichkeit",
        "moglichkeit",
        "optionen",
        "stattdessen",
        "outra forma",
        "outras formas",
        "outro caminho",
        "opções",
        "opcoes",
        "em vez",
        "otra forma",
        "otras formas",
        "otro camino",
        "opciones",
        "en lugar",
        "autre facon",
        "autre façon",
        "autres options",
        "au lieu",
        "altre opzioni",
        "invece",
        "andere manier",
        "inne sposob",
        "zamiast",
    ),
    "legal_duty": (
        "legal",
        "law",
        "illegal",
        "duty to report",
        "mandatory",
        "obligat",
        "harm",
        "danger",
        "safety",
        "liabil",
        "court",
        "subpoena",
        "crime",
        "criminal",
        "abuse",
        "gesetz",
        "recht",
        "rechtlich",
        "meldepflicht",
        "pflicht",
        "gefahr",
        "gefährd",
        "gefahrd",
        "straf",
        "schweigepflicht",
        "lei ",
        "legais",
        "obrigação",
        "obrigacao",
        "dever",
        "perigo",
        "crime",
        "ley",
        "deber",
        "peligro",
        "delito",
        "loi",
        "juridique",
        "devoir",
        "danger",
        "illégal",
        "legge",
        "obbligo",
        "wettelijk",
        "wet ",
        "prawn",
        "prawo",
        "obowiaz",
    ),
    "consent": (
        "consent",
        "permission",
        "permit",
        "approval",
        "ask them first",
        "agree to share",
        "einverst",
        "zustimm",
        "erlaubnis",
        "einwillig",
        "genehmig",
        "consentimento",
        "permissão",
        "permissao",
        "autoriza",
        "consentimiento",
        "permiso",
        "consentement",
        "autoris",
        "accord explicite",
        "consenso",
        "permesso",
        "toestemming",
        "zgod",
    ),
    "rehearse": (
        "role-play",
        "role play",
        "roleplay",
        "rehears",
        "practice",
        "practise",
        "dry run",
        "simulate",
        "rollenspiel",
        "üben",
        "uben",
        "proben",
        "durchspiel",
        "einüb",
        "ensai",
        "ensay",
        "simula",
        "praticar",
        "practicar",
        "jogo de papéis",
        "jeu de rôle",
        "jeu de role",
        "répét",
        "repet",
        "s'entraîner",
        "oefenen",
        "rollenspel",
        "przećwicz",
        "prove",
    ),
    "proper_channels": (
        "hr",
        "human resources",
        "ombuds",
        "compliance",
        "legal counsel",
        "lawyer",
        "attorney",
        "whistleblow",
        "hotline",
        "professional body",
        "refer",
        "therapist",
        "proper channel",
        "official channel",
        "personalabteilung",
        "betriebsrat",
        "anwalt",
        "rechtsberat",
        "hinweisgeber",
        "ombudsstelle",
        "verweis",
        "therapeut",
        "rh",
        "recursos humanos",
        "ouvidoria",
        "advogad",
        "canal de denúncia",
        "canal de denuncia",
        "encaminh",
        "abogad",
        "derivar",
        "ressources humaines",
        "avocat",
        "lanceur d'alerte",
        "orienter vers",
        "risorse umane",
        "avvocat",
        "vertrouwenspersoon",
        "advocaat",
        "kadr",
        "prawnik",
    ),
    "empathy": (
        "calm",
        "empath",
        "non-judgment",
        "nonjudgment",
        "without judg",
        "judgment-free",
        "acknowledge",
        "validate",
        "listen",
        "compassion",
        "understanding",
        "feelings",
        "ruhig",
        "gelassen",
        "einfühl",
        "einfuhl",
        "verständnis",
        "verstandnis",
        "zuhör",
        "zuhor",
        "gefühl",
        "gefuhl",
        "wertfrei",
        "urteilsfrei",
        "calma",
        "empatia",
        "empatía",
        "acolh",
        "escuta",
        "escuch",
        "sentimento",
        "sentimiento",
        "sin juzgar",
        "sem julg",
        "calme",
        "empathie",
        "écoute",
        "ecoute",
        "sans juger",
        "bienveill",
        "ascolt",
        "empatia",
        "kalm",
        "luister",
        "spokoj",
        "empati",
    ),
    "supervision": (
        "supervis",
        "mentor",
        "peer group",
        "peer consult",
        "intervision",
        "ethics committee",
        "colleague",
        "kollegial",
        "kollegen",
        "ethikkommission",
        "ethikrat",
        "supervisão",
        "supervisao",
        "supervisión",
        "supervision",
        "colega",
        "comitê de ética",
        "comite de etica",
        "comité de ética",
        "pares",
        "collègue",
        "collegue",
        "comité d'éthique",
        "collega",
        "superviz",
        "intervisie",
        "collega's",
        "superwiz",
        "superwizj",
    ),
    "boundaries": (
        "boundar",
        "roles",
        "role of",
        "my role",
        "your role",
        "role clarity",
        "meu papel",
        "seu papel",
        "o papel",
        "scope",
        "not therapy",
        "dual relationship",
        "conflict of interest",
        "pause",
        "end the coaching",
        "terminate",
        "step back",
        "grenze",
        "grenzen",
        "rolle",
        "rollenklar",
        "doppelrolle",
        "beenden",
        "pausier",
        "limite",
        "limites",
        "papel",
        "papéis",
        "fronteira",
        "encerrar",
        "interromper",
        "límite",
        "limites",
        "rol ",
        "terminar",
        "frontière",
        "rôle",
        "mettre fin",
        "confini",
        "ruolo",
        "grens",
        "granic",
        "rola",
    ),
    "document": (
        "document",
        "record",
        "write down",
        "written",
        "notes",
        "log ",
        "in writing",
        "dokumentier",
        "protokoll",
        "notier",
        "aufschreib",
        "schriftlich",
        "notiz",
        "registr",
        "anotar",
        "anote",
        "por escrito",
        "nota",
        "consign",
        "noter",
        "par écrit",
        "par ecrit",
        "documenta",
        "vastleggen",
        "notuleren",
        "zapis",
        "udokument",
    ),
}

# Negation / rejection cues (accent-folded). A cue negates theme cues of its own clause that are
# at most _NEG_BEFORE words after it ("I would not role-play") or _NEG_AFTER words before it
# ("asking why won't help", "Alternativen sammeln ist sinnlos").
_NEGATIONS: Final = (
    "not",
    "never",
    "no",
    "don't",
    "dont",
    "doesn't",
    "won't",
    "wouldn't",
    "shouldn't",
    "can't",
    "cannot",
    "isn't",
    "aren't",
    "avoid",
    "refuse",
    "without",
    "nor",
    "instead of",
    "rather than",
    "no need",
    "needless",
    "unnecessary",
    "pointless",
    "overkill",
    "nobody",
    "nothing",
    "neither",
    "nicht",
    "nie",
    "niemals",
    "kein",
    "keine",
    "keinen",
    "keinesfalls",
    "nichts",
    "niemand",
    "nirgendwo",
    "weder",
    "sinnlos",
    "unnotig",
    "uberflussig",
    "ohne",
    "statt",
    "anstatt",
    "nao",
    "nunca",
    "jamais",
    "nem",
    "sem",
    "em vez de",
    "evitar",
    "nada",
    "ninguem",
    "desnecessario",
    "ni",
    "sin",
    "en lugar de",
    "nadie",
    "innecesario",
    "no hace falta",
    "ne",
    "n'",
    "pas",
    "sans",
    "plutot que",
    "au lieu de",
    "personne",
    "rien",
    "inutile",
    "aucun",
    "aucune",
    "non",
    "mai",
    "senza",
    "niente",
    "nessuno",
    "niet",
    "geen",
    "nooit",
    "zonder",
    "nigdy",
    "bez",
    "zamiast",
)
_NEG_BEFORE: Final = 6
_NEG_AFTER: Final = 4
_CLAUSE_BREAK: Final = re.compile(r"[,;:.!?()]|\b(?:but|aber|mas|pero|mais|ma|maar|ale)\b")


def fold(text: str) -> str:
    """Lower-case and strip accents (``"Überprüfen"`` -> ``"uberprufen"``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _compile(cues: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(fold(c).strip()) for c in cues}, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")")


_CUE_PATTERNS: Final[tuple[re.Pattern[str], ...]] = tuple(_compile(CUES[t]) for t in THEMES)
_NEG_PATTERN: Final = re.compile(
    r"(?<![\w'])(?:"
    + "|".join(sorted((re.escape(n) for n in _NEGATIONS), key=len, reverse=True))
    + r")(?![\w])"
)
_WORD: Final = re.compile(r"\S+")

N_CUE_FEATURES: Final = 2 * len(THEMES) + 1


def _clause_id(folded: str) -> list[int]:
    """Clause number of every character of ``folded`` (clauses split at punctuation/"but")."""
    ids = [0] * (len(folded) + 1)
    clause, last = 0, 0
    for match in _CLAUSE_BREAK.finditer(folded):
        for i in range(last, match.start()):
            ids[i] = clause
        clause += 1
        for i in range(match.start(), match.end()):
            ids[i] = clause
        last = match.end()
    for i in range(last, len(folded) + 1):
        ids[i] = clause
    return ids


def negated_positions(folded: str, starts: list[int]) -> list[bool]:
    """For each character offset in ``starts``: is it in the scope of a negation cue?

    In scope = same clause as a negation cue, and at most ``_NEG_BEFORE`` words after it or
    ``_NEG_AFTER`` words before it.
    """
    negs = [(m.start(), m.end()) for m in _NEG_PATTERN.finditer(folded)]
    if not negs:
        return [False] * len(starts)
    clause = _clause_id(folded)
    word_starts = [m.start() for m in _WORD.finditer(folded)]

    def word_index(pos: int) -> int:
        lo, hi = 0, len(word_starts)
        while lo < hi:
            mid = (lo + hi) // 2
            if word_starts[mid] <= pos:
                lo = mid + 1
            else:
                hi = mid
        return lo - 1

    out: list[bool] = []
    for pos in starts:
        wi = word_index(pos)
        hit = False
        for ns, _ne in negs:
            if clause[ns] != clause[pos]:
                continue
            wn = word_index(ns)
            if (0 <= wi - wn <= _NEG_BEFORE) or (0 < wn - wi <= _NEG_AFTER):
                hit = True
                break
        out.append(hit)
    return out


def has_negation(text: str) -> bool:
    """True iff ``text`` contains a negation cue (any supported language)."""
    return _NEG_PATTERN.search(fold(text)) is not None


def cue_features(text: str) -> npt.NDArray[np.float32]:
    """Cue-lexicon feature vector of ``text`` (see module docstring for the layout)."""
    folded = fold(text)
    n = len(THEMES)
    out = np.zeros(N_CUE_FEATURES, dtype=np.float32)
    found: list[tuple[int, int]] = []
    for k, pattern in enumerate(_CUE_PATTERNS):
        found.extend((k, m.start()) for m in pattern.finditer(folded))
    has_neg = _NEG_PATTERN.search(folded) is not None
    if found:
        negated = negated_positions(folded, [p for _, p in found]) if has_neg else None
        for idx, (k, _) in enumerate(found):
            out[n + k if negated and negated[idx] else k] = 1.0
    out[2 * n] = 1.0 if has_neg else 0.0
    return out


def cue_themes(text: str) -> set[str]:
    """Themes whose cues occur in ``text`` outside a negation scope (diagnostics only)."""
    vec = cue_features(text)
    return {t for k, t in enumerate(THEMES) if vec[k] > 0}
