"""Controlled vocabularies: statuses, themes and confidence levels (a plan declares its pillars: ``plan``). Each term is declared once: slug,
label (an English msgid, translated by ``i18n``), the aliases the loader accepts, and a fixed colour for charts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass, field
from functools import cached_property
from types import MappingProxyType

from .i18n import N_


def fold(text: str) -> str:
    """Accents dropped (NFKD, no Mn marks), lower case, every run outside [a-z0-9] one space, trimmed.
    ``dataset.fold_rows`` is the same rule for whole columns."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return text.strip()


@dataclass(frozen=True)
class Term:
    slug: str
    label: str  # English message id, translated by i18n
    color: str = "#888888"
    definition: str = ""
    evidence: str = ""
    aka: InitVar[str | tuple[str, ...]] = ""  # the aliases: a tuple, or one ", "-separated string
    aliases: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self, aka: str | tuple[str, ...]) -> None:
        object.__setattr__(self, "aliases", aka if isinstance(aka, tuple) else tuple(aka.split(", ")) if aka else ())


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: tuple[Term, ...]
    key: Callable[[str], str] = field(default=fold, repr=False, compare=False)  # how a value is compared

    @property
    def slugs(self) -> list[str]:
        return [t.slug for t in self.terms]

    def __getitem__(self, slug: str) -> Term:
        return self._by_slug[slug]

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    @cached_property
    def _by_slug(self) -> dict[str, Term]:
        return {t.slug: t for t in self.terms}

    @cached_property
    def lookup(self) -> Mapping[str, str]:
        """Folded alias (``key``) -> slug. Slugs, labels and aliases all resolve."""
        return MappingProxyType({self.key(name): t.slug for t in self.terms for name in (t.slug, t.label, *t.aliases)})

    def find(self, value: str) -> str | None:
        """The slug a value names, if any."""
        return self.lookup.get(self.key(value))

    def colors(self) -> dict[str, str]:
        return {t.slug: t.color for t in self.terms}

    def label(self, slug: str) -> str:
        term = self._by_slug.get(slug)
        return term.label if term else humanize(slug)


def humanize(slug: str) -> str:
    """Readable fallback for a slug with no declared label: 'clean_tech' -> 'Clean tech'."""
    text = str(slug).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


# Okabe–Ito, the colour-blind-safe palette (Okabe & Ito 2008).
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

# IATI's numeric activity status codes (1-6) are not aliases: a number in a status column may be anything.
STATUSES = Vocabulary(
    "status",
    (
        Term(
            "completed",
            N_("Completed"),
            OKABE_ITO["green"],
            N_("The deliverable happened or the event took place."),
            N_("A dated public source (government release, or credible report) that it was done."),
            "complete, done, finished, achieved, termine, terminee, acheve, completado, completada, concluido, "
            "terminado, cumplido, hecho, closed, closed out, ferme, cerrado, cerrada, "
            # IATI's "Finalisation": the activity itself is done, only its accounts or evaluation are open
            "finalisation, finalization, finalised, finalized",
        ),
        Term(
            "in_progress",
            N_("In progress"),
            OKABE_ITO["sky"],
            N_("Work toward a defined deliverable is under way."),
            N_("A public source showing work has started (a call launched, talks held, a draft)."),
            "in progress, underway, under way, started, active, implementation, under implementation, under construction, "
            "en cours, actif, en execution, en curso, en progreso, en proceso, activo, en ejecucion, wip, "
            # a design or construction phase is work toward the deliverable (a draft counts as evidence)
            "design, in design, construction, conception, diseno, en diseno, construccion, en construccion",
        ),
        Term(
            "ongoing",
            N_("Ongoing"),
            OKABE_ITO["blue"],
            N_("A standing activity with no end date, such as a working group or programme."),
            N_("A source showing the activity is currently running."),
            "continuing, continuous, permanent, recurring, continu, permanente, continuo, en marcha",
        ),
        Term(
            "planned",
            N_("Planned"),
            OKABE_ITO["yellow"],
            N_("Committed or announced in the plan; no public sign yet that work has begun."),
            N_("The announcement itself (the plan text or a release naming it)."),
            "not started, announced, committed, scheduled, upcoming, to do, todo, prevu, prevue, planifie, annonce, "
            "planeado, previsto, anunciado, programado, pendiente, no iniciado, pipeline, proposed, identification, "
            "not yet started, propose, en preparation, propuesto, en preparacion, pipeline identification, "
            # approved, not yet begun: committed, with no sign that work has started
            "approved, approuve, aprobado",
        ),
        Term(
            "delayed",
            N_("Delayed"),
            OKABE_ITO["vermillion"],
            N_("A source says it is behind schedule."),
            N_("A source stating the delay. A passed deadline alone is shown as 'overdue', not delayed."),
            "late, behind, behind schedule, slipped, en retard, retarde, retrasado, atrasado, demorado, "
            # Halted or put off for now (IATI's "Suspended"): the status itself is a source that the work is behind
            # its schedule; it is not dropped (cancelled), and there is evidence, so not unknown.
            "suspended, on hold, deferred, postponed, suspendu, en attente, suspendido, en pausa, "
            "diferido, aplazado, pospuesto",
        ),
        Term(
            "cancelled",
            N_("Cancelled"),
            OKABE_ITO["black"],
            N_("A source says it was dropped."),
            N_("A source stating the cancellation."),
            "canceled, dropped, abandoned, annule, annulee, cancelado, cancelada, descartado, "
            # ended before its term (a project "terminated" early); "terminado" (Spanish) is completed, above
            "terminated, resilie",
        ),
        Term(
            "unknown",
            N_("Unknown"),
            OKABE_ITO["grey"],
            N_("No public evidence either way."),
            N_("None: this is the honest default."),
            # the first alias is "": an empty cell reads as unknown
            ", n a, na, tbd, unclear, inconnu, desconocido, sin informacion, no disponible",
        ),
    ),
)

CONFIDENCE = Vocabulary(
    "confidence",
    (
        Term(
            "official",
            N_("Official"),
            definition=N_("Stated in a government text (a plan, joint statement or agency release)."),
            aka="officiel, oficial, government, gouvernement, gobierno",
        ),
        Term(
            "reported",
            N_("Reported"),
            definition=N_("Stated only in news reports or analysis."),
            aka="rapporte, reportado, news, media, presse, prensa",
        ),
        Term(
            "inferred",
            N_("Inferred"),
            definition=N_("An inference, not a stated fact."),
            aka="infere, inferido, estimated, estime, estimado",
        ),
    ),
)

THEMES = Vocabulary(
    "theme",
    (
        Term(
            "ip",
            N_("IP and innovation"),
            aka="intellectual property, innovation, pi, propriete intellectuelle, propiedad intelectual, innovacion",
        ),
        Term("energy", N_("Energy"), aka="energie, energia"),
        Term("security", N_("Security"), aka="securite, seguridad"),
        Term("trade", N_("Trade"), aka="commerce, comercio"),
        Term("agriculture", N_("Agriculture"), aka="agri food, agrifood, agroalimentaire, agricultura"),
        Term("digital", N_("Digital and cyber"), aka="cyber, cybersecurity, numerique, digital, ciber"),
        Term("climate", N_("Climate"), aka="climat, clima"),
        Term("mobility", N_("Mobility"), aka="mobilite, movilidad, migration, labour mobility"),
        Term("health", N_("Health"), aka="sante, salud"),
        Term("culture", N_("Culture"), aka="cultura, sport, sports"),
        Term(
            "critical_minerals", N_("Critical minerals"), aka="minerals, mining, mineraux critiques, minerales criticos"
        ),
        Term("infrastructure", N_("Infrastructure"), aka="infraestructura, ports, transport"),
    ),
)

# Themes have an open vocabulary: any slug matching this is accepted.
THEME_SLUG = re.compile(r"^[a-z0-9][a-z0-9_]*$")
