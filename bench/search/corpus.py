"""A deterministic synthetic corpus of PubMed-like Crohn's disease records.

Titles come from templates over real drug, design and topic words;
abstracts are ~220 words: a few templated sentences naming the drugs and
the cohort, padded with words drawn from a Zipf-like vocabulary (clinical
words first, then a long tail of rarer made-up terms), so postings lengths
look like a real literature index.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from tracker.models import Article

DRUGS = {  # generic -> (brands, weight)
    "infliximab": (["Remicade", "Inflectra", "Remsima", "CT-P13"], 10),
    "adalimumab": (["Humira", "Amgevita", "Imraldi", "Hyrimoz"], 9),
    "vedolizumab": (["Entyvio"], 7),
    "ustekinumab": (["Stelara"], 6),
    "natalizumab": (["Tysabri"], 3),
    "certolizumab pegol": (["Cimzia"], 2),
    "golimumab": (["Simponi"], 1),
    "risankizumab": (["Skyrizi"], 2),
    "mirikizumab": (["Omvoh"], 1),
    "upadacitinib": (["Rinvoq"], 2),
    "tofacitinib": (["Xeljanz"], 2),
    "filgotinib": (["Jyseleca"], 1),
    "ozanimod": (["Zeposia"], 1),
    "azathioprine": (["Imuran"], 4),
    "methotrexate": (["Trexall"], 3),
    "budesonide": (["Entocort"], 2),
    "mesalamine": (["Pentasa"], 2),
}
DESIGNS = [("case_report", 10), ("case_series", 6), ("cohort", 30), ("rct", 10), ("meta_analysis", 6),
           ("review", 14), ("other", 4)]
JOURNALS = ["Journal of Crohn's and Colitis", "Inflammatory Bowel Diseases", "Gut", "Gastroenterology",
            "Alimentary Pharmacology & Therapeutics", "Clinical Gastroenterology and Hepatology",
            "The American Journal of Gastroenterology", "The Lancet Gastroenterology & Hepatology",
            "Journal of Pediatric Gastroenterology and Nutrition", "Digestive Diseases and Sciences",
            "World Journal of Gastroenterology", "BMJ Case Reports", "Neurology", "Revista Médica de Chile",
            "Scandinavian Journal of Gastroenterology", "United European Gastroenterology Journal"]
TOPICS = ["perianal fistula", "pregnancy outcomes", "pediatric Crohn's disease", "progressive multifocal "
          "leukoencephalopathy", "therapeutic drug monitoring", "mucosal healing", "postoperative recurrence",
          "biosimilar switching", "serious infections", "lymphoma risk", "elderly patients", "stricturing disease",
          "extraintestinal manifestations", "immunogenicity", "loss of response", "endoscopic remission",
          "quality of life", "cost-effectiveness", "dose escalation", "paradoxical psoriasis", "JC virus antibodies",
          "growth failure", "ileocolonic resection", "fatigue", "anaemia"]
TITLE_TEMPLATES = [
    "{drug} for {topic} in {cond}: a {design_word}",
    "{Brand} in {cond}: {topic}",
    "{topic} during {drug} therapy for {cond}",
    "Comparison of {drug} and {drug2} for {topic} in {cond}",
    "{design_word} of {drug} in patients with {cond} and {topic}",
    "Long-term outcomes of {drug} in {cond}",
    "{topic} in {cond}: {design_word}",
]
DESIGN_WORDS = {"case_report": "case report", "case_series": "case series", "cohort": "retrospective cohort study",
                "rct": "randomised controlled trial", "meta_analysis": "systematic review and meta-analysis",
                "review": "narrative review", "other": "position statement"}
CONDS = ["Crohn's disease", "Crohn's disease", "Crohn's disease", "inflammatory bowel disease",
         "ulcerative colitis", "ileal Crohn's disease", "regional enteritis"]
CLINICAL = ("patients treated remission response therapy disease clinical treatment months weeks years baseline "
            "follow-up outcome outcomes rate rates significant significantly higher lower compared study analysis "
            "endoscopic mucosal healing steroid-free corticosteroids infection infections adverse events safety "
            "efficacy trough levels antibodies dose dosing induction maintenance loss surgery resection colectomy "
            "hospitalisation risk factors multivariate logistic regression hazard ratio confidence interval median "
            "mean age sex smoking duration ileal colonic perianal fistula stricture abscess calprotectin crp "
            "albumin haemoglobin biologic biologics anti-tnf immunomodulator thiopurine combination monotherapy "
            "children adolescents adults elderly pregnancy infants women men cohort registry database trial "
            "randomised placebo primary secondary endpoint week sustained durable deep histologic transmural "
            "imaging magnetic resonance ultrasound colonoscopy ileocolonoscopy score index harvey bradshaw cdai "
            "ses-cd rutgeerts postoperative recurrence prophylaxis withdrawal discontinuation persistence switch "
            "switching originator biosimilar interchangeability immunogenicity cost savings real-world practice "
            "centres multicentre retrospective prospective observational population-based nationwide danish "
            "swedish french spanish italian american canadian japanese korean chinese brazilian").split()
STOP = "the of and in with was were a to for by on as at from that this is or be are".split()


def _zipf_vocab(rng: random.Random, tail: int = 20000) -> tuple[list[str], list[float]]:
    syll = ["ba", "ce", "di", "fo", "gu", "ha", "ki", "lo", "mu", "ne", "po", "ri", "sa", "te", "vo", "xi", "za",
            "tor", "lin", "mab", "zum", "ster", "phen", "gra", "cyt", "lymph", "ent", "ile", "col", "gast"]
    words = list(dict.fromkeys(CLINICAL))
    seen = set(words)
    while len(words) < len(CLINICAL) + tail:
        w = "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    cum, total = [], 0.0
    for i in range(len(words)):
        total += 1.0 / (i + 8)
        cum.append(total)
    return words, cum


def _weighted(rng: random.Random, items: list[tuple[str, int]]) -> str:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def records(n: int, seed: int = 5) -> Iterator[Article]:
    rng = random.Random(seed)
    vocab, cum = _zipf_vocab(rng)
    drug_items = [(g, w) for g, (_, w) in DRUGS.items()]
    for i in range(n):
        design = _weighted(rng, DESIGNS)
        drugs = sorted({_weighted(rng, drug_items) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))})
        drug, drug2 = drugs[0], drugs[-1] if len(drugs) > 1 else rng.choice(list(DRUGS))
        brand = rng.choice(DRUGS[drug][0])
        topic, cond = rng.choice(TOPICS), rng.choice(CONDS)
        title = rng.choice(TITLE_TEMPLATES).format(
            drug=drug, drug2=drug2, Brand=brand, topic=topic, cond=cond, design_word=DESIGN_WORDS[design])
        title = title[0].upper() + title[1:]
        cases = {"case_report": rng.choice([1, 1, 1, 2]), "case_series": rng.randint(3, 30),
                 "cohort": rng.randint(20, 5000), "rct": rng.randint(40, 1500)}.get(design)
        lead = [f"We studied {cases or 'several'} patients with {cond} treated with {drug} ({brand}).",
                f"The focus was {topic}.",
                f"{drug2.capitalize()} was used in a comparison group." if drug2 != drug else ""]
        body_words = rng.choices(vocab, cum_weights=cum, k=150) + rng.choices(STOP, k=50)
        rng.shuffle(body_words)
        abstract = " ".join(lead) + " " + " ".join(body_words[:200]) + "."
        year = rng.choice(range(2000, 2027))
        conditions = ["crohns_disease"] + (["ibd"] if "bowel" in cond else []) + \
            (["pml"] if "leukoenceph" in topic or "JC virus" in topic else [])
        if "ulcerative" in cond:
            conditions = ["ulcerative_colitis"]
        yield Article(
            title=title, abstract=abstract, doi=f"10.9999/bench.{i}", pmid=str(30000000 + i),
            journal=rng.choice(JOURNALS), year=year, study_type=design, case_count=cases,
            drugs=drugs, conditions=conditions, authors=[f"Author{rng.randint(1, 5000)} {c}" for c in "AB"],
            feeds=[rng.choice(["pubmed-crohns-biologics", "europepmc-natalizumab", "crossref-crohn-biologics"])],
            first_seen=f"{year}-06-01T00:00:00Z", language="en")
