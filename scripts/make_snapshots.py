"""Build data/snapshots/*.csv from data/initiatives.csv (2026-11-25) and the dates of the public
sources each row cites (its source_url and source_note): every difference from the current file is
listed below (FIRST_KNOWN, EDITS), with the dated source that justifies it."""

import csv
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "data" / "initiatives.csv"
OUT = ROOT / "data" / "snapshots"

MBN = "https://mexicobusiness.news/sustainability/news/canada-mexico-2025-28-plan-commits-sustainability-cooperation"

# First snapshot date a row may appear in (evidence date -> first snapshot on/after it). Rows not listed exist in
# every snapshot (announced with the plan on 2025-09-18, or dated on/before 2025-09-30).
FIRST_KNOWN = {
    "PR-GOV-04": "2025-11-27",  # first CSP meeting, 2025-11-27/28
    "PR-AGRI-02": "2025-10-14",  # ministers' meeting 2025-10-14 (AAFC release 2025-10-16)
    "PR-AGRI-03": "2025-10-16",  # agreed at that meeting
    "PR-AGRI-04": "2025-10-16",
    "PR-AGRI-05": "2025-10-16",
    "PR-AGRI-06": "2025-11-03",  # CFIA e-certificates 2025-11-03
    "PR-AGRI-07": "2025-10-16",
    "SE-GOV-01": "2025-12-15",  # ministers' call
    "EN-BIO-02": "2026-01-06",  # renewed late Dec 2025, released 2026-01-06
    "PR-TRADE-04": "2026-02-15",  # no announcement date for the mission page: from the event on
    "PR-TRADE-05": "2026-02-16",  # MOU signed (reported 2026-02-17)
    "PR-TRADE-06": "2026-02-17",  # reported by Mexico News Daily 2026-02-17
    "PR-TRADE-07": "2026-03-12",  # reported by Crónica 2026-03-12
    "PR-EDU-01": "2026-11-25",  # call page undated, written after Sept 2025: first seen when the data was compiled (2026-11-25)
}

# snapshot -> id -> fields as they were known up to that snapshot (and in every earlier one); later
# snapshots have the current file's values.
EDITS = {
    "2025-09-30": {
        "PR-GOV-02": {
            "description": "The plan commits to widening and reinforcing the Canada–Mexico Partnership, the bilateral cooperation framework set up in October 2004.",
            "description_fr": "Le plan prévoit d'élargir et de consolider le Partenariat Canada-Mexique, cadre de coopération bilatérale créé en octobre 2004.",
            "description_es": "El plan se compromete a ampliar y reforzar la Alianza México-Canadá, el mecanismo de cooperación bilateral creado en octubre de 2004.",
            "source_note": "Commitment in the GAC plan text (S1, official).",
        },
        "PR-TRADE-02": {
            "description": "Press coverage of the plan says the two countries intend to move logistics and commercial procedures onto digital systems. No implementation step was found.",
            "description_fr": "Selon la couverture médiatique du plan, les deux pays comptent faire passer la logistique et les démarches commerciales au numérique. Aucune étape de mise en œuvre n'a été repérée.",
            "description_es": "Según la cobertura periodística del plan, ambos países buscan llevar la logística y los trámites comerciales a sistemas digitales. No se encontró ningún paso de implementación.",
        },
        "PR-AGRI-01": {
            "status": "planned",
            "description": "The plan targets sturdier agricultural supply chains, easier food trade and closer cooperation on sanitary and phytosanitary (SPS) rules. Only the commitment has been documented so far.",
            "description_fr": "Le plan vise des chaînes d'approvisionnement agricoles plus solides, un commerce alimentaire facilité et une coopération accrue en matière de mesures sanitaires et phytosanitaires (SPS). Seul l'engagement est documenté pour l'instant.",
            "description_es": "El plan busca cadenas de suministro agrícolas más sólidas, facilitar el comercio de alimentos y estrechar la cooperación en medidas sanitarias y fitosanitarias (MSF). Por ahora solo está documentado el compromiso.",
            "source_note": "Commitment reported by latin-american.news.",
        },
        "EN-BIO-01": {
            "status": "planned",
            "confidence": "reported",
            "lead_canada": "",
            "lead_mexico": "",
            "source_url": MBN,
            "description": "One element of the environment pillar is cooperation on protected areas and wildlife that involves Indigenous peoples. Only the commitment has been documented so far.",
            "description_fr": "L'un des éléments du pilier Environnement porte sur la coopération en matière d'aires protégées et de faune, avec la participation des peuples autochtones. Seul l'engagement est documenté pour l'instant.",
            "description_es": "Uno de los elementos del pilar ambiental es la cooperación en áreas protegidas y vida silvestre con participación de los pueblos indígenas. Por ahora solo está documentado el compromiso.",
            "source_note": "Plan element per Mexico Business News (29 Sept 2025).",
        },
    },
    "2026-01-15": {
        "PR-RES-01": {
            "status": "planned",
            "description": "Canada's NSERC and SSHRC and Mexico's SECIHTI are to conclude an MOU on joint research in the energy transition, artificial intelligence and health technologies by 31 March 2026. No signing has been reported yet.",
            "description_fr": "Le CRSNG et le CRSH, au Canada, et le SECIHTI, au Mexique, doivent conclure d'ici le 31 mars 2026 un protocole d'entente sur la recherche conjointe en transition énergétique, en intelligence artificielle et en technologies de la santé. Aucune signature n'a encore été signalée.",
            "description_es": "Los consejos canadienses NSERC y SSHRC y la SECIHTI de México deben concretar, a más tardar el 31 de marzo de 2026, un memorándum de entendimiento sobre investigación conjunta en transición energética, inteligencia artificial y tecnologías para la salud. Aún no se ha informado de su firma.",
        },
        "PR-TRADE-03": {
            "description": "On 18 September 2025 the Prime Minister's Office announced that Minister Dominic LeBlanc would lead a trade mission. This entry records the announcement; our sources do not give the mission's dates.",
            "description_fr": "Le 18 septembre 2025, le Cabinet du premier ministre a annoncé que le ministre Dominic LeBlanc dirigerait une mission commerciale. Cette entrée consigne l'annonce; nos sources ne précisent pas les dates de la mission.",
            "description_es": "El 18 de septiembre de 2025, la Oficina del Primer Ministro anunció que el ministro Dominic LeBlanc encabezaría una misión comercial. Esta entrada registra el anuncio; nuestras fuentes no indican las fechas de la misión.",
        },
    },
    "2026-06-01": {
        "PR-TRADE-09": {
            "status": "planned",
            "description": "Under Article 34.7, the three parties are to hold a joint review of CUSMA on 1 July 2026, with recommendations due by 1 June 2026; annual reviews would follow from 2027 if the agreement's term is not extended.",
            "description_fr": "En vertu de l'article 34.7, les trois parties doivent procéder à un examen conjoint de l'ACEUM le 1er juillet 2026, les recommandations étant attendues au plus tard le 1er juin 2026; si la durée de l'accord n'est pas prolongée, des examens annuels suivront à partir de 2027.",
            "description_es": "Conforme al artículo 34.7, las tres partes deben realizar una revisión conjunta del T-MEC el 1 de julio de 2026, con recomendaciones a más tardar el 1 de junio de 2026; si no se prorroga la vigencia del tratado, habrá revisiones anuales a partir de 2027.",
            "source_note": "Date and review rules (CUSMA Art. 34.7) as described in law-firm analyses. URL points to the GAC plan text.",
        },
        "MO-CULT-02": {
            "status": "planned",
            "description": "The leaders committed to celebrate the 2026 FIFA World Cup together; the tournament runs from 11 June to 19 July 2026. Canada hosts 13 matches (Toronto 6, Vancouver 7) and Mexico 13 (Mexico City 5, including the 11 June opener at the Azteca, Guadalajara 4, Monterrey 4).",
            "description_fr": "Les dirigeants se sont engagés à célébrer ensemble la Coupe du monde de la FIFA 2026, qui se déroulera du 11 juin au 19 juillet 2026. Le Canada accueillera 13 matchs (6 à Toronto, 7 à Vancouver) et le Mexique 13 (5 à Mexico, dont le match d'ouverture du 11 juin au stade Azteca, 4 à Guadalajara et 4 à Monterrey).",
            "description_es": "Los mandatarios se comprometieron a celebrar juntos la Copa Mundial de la FIFA 2026, que se disputará del 11 de junio al 19 de julio de 2026. Canadá será sede de 13 partidos (6 en Toronto y 7 en Vancouver) y México de 13 (5 en la Ciudad de México, incluido el partido inaugural del 11 de junio en el Estadio Azteca, 4 en Guadalajara y 4 en Monterrey).",
        },
    },
}

SNAPSHOTS = ("2025-09-30", "2026-01-15", "2026-06-01")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with CURRENT.open(encoding="utf-8", newline="") as fh:
        header, *rows = csv.reader(fh)
    col = {c: i for i, c in enumerate(header)}
    for snap in SNAPSHOTS:
        edits = {rid: f for until, group in EDITS.items() if snap <= until for rid, f in group.items()}
        out = [header]
        for row in rows:
            if FIRST_KNOWN.get(row[col["id"]], "0000") <= snap:
                known = edits.get(row[col["id"]], {}) | {"last_updated": snap}
                out.append([known.get(name, value) for name, value in zip(header, row)])
        with (OUT / f"{snap}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(out)
    shutil.copyfile(CURRENT, OUT / "2026-11-25.csv")


if __name__ == "__main__":
    main()
