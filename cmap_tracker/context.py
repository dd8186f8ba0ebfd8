"""Key facts about the plan for the overview's 'about the plan' card, each with its public source. Values stay
numbers so they can be formatted per locale; the labels are the project's own words."""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_

S1 = "https://www.international.gc.ca/transparency-transparence/mexico-mexique/action-plan-2025-2028.aspx?lang=eng"
S4 = "https://wawa-news.com/index.php/2025/09/18/carney-announces-new-partnership-with-mexico-to-elevate-ties-across-trade-energy-and-security/"
S5 = "https://www.newswire.ca/news-releases/readout-prime-minister-carney-meets-with-president-of-mexico-claudia-sheinbaum-815761870.html"
S6 = "https://www.newswire.ca/news-releases/prime-minister-carney-to-travel-to-mexico-to-deepen-canada-mexico-partnerships-in-trade-energy-and-security-825474363.html"


@dataclass(frozen=True)
class Fact:
    value: float | None
    kind: str  # "date" | "cad_billion" | "cad_million" | "count"
    label: str  # English message id
    source_name: str
    source_url: str
    when: str = ""


FACTS: tuple[Fact, ...] = (
    Fact(
        None,
        "date",
        N_("Plan adopted; relations raised to a Comprehensive Strategic Partnership"),
        N_("Global Affairs Canada"),
        S1,
        "2025-09-18",
    ),
    Fact(
        4,
        "count",
        N_("Pillars: prosperity; mobility, inclusion and well-being; security; environment and sustainability"),
        N_("Global Affairs Canada"),
        S1,
    ),
    Fact(
        56,
        "cad_billion",
        N_("Two-way merchandise trade in 2024 (nearly)"),
        N_("Prime Minister's Office, 16 Sept 2025"),
        S6,
    ),
    Fact(
        9.9,
        "cad_million",
        N_("New Canadian funding announced with the plan (ILO and UNODC projects)"),
        N_("Prime Minister's Office, 18 Sept 2025"),
        S4,
    ),
    Fact(
        2,
        "cad_billion",
        N_("Projected boost to Canada's economy from the 2026 World Cup"),
        N_("Prime Minister's Office readout, 18 Sept 2025"),
        S5,
    ),
)
