"""case_count: how many patients or cases the study reports, and the sentence that says so.

`find_case_count(text, lang)` returns a `CaseCount(count, evidence)` or None;
`case_count(text, lang)` returns the number alone (the older call shape).

The text is read sentence by sentence with number words as digits and accents
folded (tracker/extract/reading.py), and the patterns below propose (number,
score) candidates. Order of precedence, applied in `_candidates` and `_best`:

1. the highest score wins; at equal score, the earliest mention (title and
   abstract come first). Scores: 10 an explicit total ("a total of", "in
   total", "N trials including M patients"); 9 enrolled/included/randomised,
   a reported series, a title naming the count ("report of two cases"); 8 a
   cohort/sample "of N", identified/treated/followed, respondents, a total
   given only as arms; 7 "N-patient", "among the N patients,", a single case
   described by the authors; 6 a count opening a sentence, a single patient
   described without a numeral; 5 "n = 45"; 4 a bare "45 patients".
2. a total split into parts is summed: "a total of 95 with UC and 61 with CD"
   = 156, "14 with definite and one with probable PML" = 15, "88 to the drug
   and 90 to placebo" = 178; the parts' own candidates carry the sum.
3. numbers that are not this study's participants are dropped: subgroups
   ("of whom 12", "20 (41%)"), screened or eligible numbers, years, ratios
   and rates ("one in 150", "per 100,000"), population figures ("300,000
   people live with IBD"), surveillance tallies and other studies quoted for
   context, "one patient" in the results, bare mentions of 100,000 or more,
   and in laboratory or animal work, samples and cells.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tracker.extract.reading import Reading
from tracker.extract.textutil import holds_any

# --- vocabulary (patterns run on folded text) -----------------------------------------------------

# Nouns that count people (folded, so "niños" is "ninos").
NOUN = (r"(?:patients?|pts|cases?|subjects?|participants?|individuals?|children|adults?|adolescents?|women|men|"
        r"males?|females?|persons?|people|infants?|babies|newborns?|neonates?|mothers?|nurses|volunteers?|"
        r"recipients?|users?|pairs|twins|respondents|pregnancies|smokers|veterans|outpatients|inpatients|survivors|"
        r"siblings|brothers|sisters|soldiers|recruits|service\s+members|employees|workers|students|"
        r"pacientes?|casos?|sujetos?|participantes?|individuos?|ninos?|ninas?|adultos?|adolescentes?|mujeres|"
        r"hombres|varones|enfermos?|personas?|madres|lactantes|recien\s+nacidos|gemelos|pares|voluntarios?|"
        r"embarazos|encuestados|fumadores|fumantes|herman[oa]s|irm[aã]os|irm[aã]s|sujeitos?|criancas?|mulheres|homens|doentes?|pessoas?|maes|lactentes|"
        r"recem-nascidos|gemeos|gestacoes|gravidezes|entrevistados)\b")
# Up to three modifiers between number and noun ("45 consecutive adult patients"); never a unit,
# a link word or a verb's article ("en 2025 incluyó a 23 pacientes" must not read "2025 ... pacientes").
_MODS = (r"(?:(?!(?:of|with|and|or|in|from|to|per|at|for|a|an|the|who|which|were|was|had|have|has|years?|months?|"
         r"weeks?|days?|hours?|mg|kg|ml|times|doses?|infusions?|studies|trials|articles|publications|reports|"
         r"records|centers|centres|sites|hospitals|de|del|el|la|los|las|o|os|as|que|con|com|e|y|en|em|por|"
         r"anos|meses|semanas|dias|estudios|estudos|ensayos|ensaios|articulos|artigos|centros)\b)"
         r"[A-Za-z][\w'\-]*\s+){0,3}")
_VERB_STRONG = (r"(?:enrolled|included|randomi[sz]ed|randomly\s+assigned|recruited|analy[sz]ed|incluid[oa]s|"
                r"inclu[ií]d[oa]s|aleatorizad[oa]s|randomizad[oa]s|reclutad[oa]s|recrutad[oa]s|analisad[oa]s|"
                r"analizad[oa]s|enrolad[oa]s|arrolad[oa]s)")
_VERB_MEDIUM = (r"(?:identified|evaluated|assessed|treated|followed(?:\s+up)?|studied|examined|reviewed|observed|"
                r"involved|evaluad[oa]s|avaliad[oa]s|tratad[oa]s|seguid[oa]s|acompanhad[oa]s|estudad[oa]s|"
                r"identificad[oa]s|revisad[oa]s)")
_VERB_BEFORE = (r"(?:involving|enrolling|including|following|studying|treating|comprised|comprising|covering|covered|"
                r"composed\s+of|compuest[oa]\s+por|compost[oa]\s+por|constituid[oa]\s+por|"
                r"consist(?:ed|ing)\s+of|comprendio|compreendeu|abrangeu)")
_RESPONDED = (r"(?:responded|replied|took\s+part|participated|agreed\s+to\s+(?:take\s+part|participate)|"
              r"completed\s+(?:the\s+)?(?:survey|questionnaire)|respondieron|contestaron|participaron|"
              r"aceptaron\s+participar|responderam|participaram|aceitaram\s+participar)")
_REPORT = (r"(?:report(?:s|ed)?(?:\s+on)?|describe[sd]?|present(?:s|ed)?|document(?:s|ed)?|discuss(?:es|ed)?|"
           r"presentamos|describimos|reportamos|comunicamos|relatamos|descrevemos|apresentamos|"
           r"se\s+(?:presentan|describen|reportan|comunican)|(?:relatam|descrevem|apresentam)-se)")
_WITH = r"(?:with|con|com|who\s+had)"
_ALLOCATED = (r"(?:allocated|assigned|randomi[sz]ed|asignaron|asignad[oa]s|aleatorizaron|aleatorizad[oa]s|"
              r"randomizad[oa]s|distribuid[oa]s|alocad[oa]s)")
_TO = r"(?:to|a|al|ao|para)"

# (score, pattern with the count in group "n"). Patterns run on folded text with number words as digits.
PATTERNS: list[tuple[int, str]] = [
    (10, r"\b(?:a|1|un|um)\s+total\s+(?:of\s+|de\s+)?<N>(?=\s+" + _MODS + NOUN + r"|\s+(?:were|was|fueron|foram)\b)"),
    (10, r"\bin\s+total,?\s+<N>\s+" + _MODS + NOUN),
    (10, r"\b(?:\d+|several|multiple)\s+(?:[a-z-]+\s+){0,3}?(?:studies|trials|articles|estudios|estudos)\s+"
         r"(?:\(\w+\s*=\s*\d+\)\s+)?(?:(?:evaluating|assessing|comparing|reporting\s+on|of|on)\s+[^.;]{0,80}?\s(?:in|with)|"
         r"including|involving|comprising|with|enrolling|totaling|totalling|incluyendo|"
         r"con|incluindo|com|que\s+incluyeron|que\s+inclu[ií]ram)\s+"
         r"(?:a\s+total\s+of\s+|un\s+total\s+de\s+|um\s+total\s+de\s+)?<N>\s+" + _MODS + NOUN),
    (9, r"\bpooled\s+(?:data\s+|analysis\s+)?(?:from|of|on)\s+<N>\s+" + _MODS + NOUN),
    (9, r"\b<N>\s+" + _MODS + NOUN + r"(?:\s+\([^)]{0,80}\))?\s+(?:were|was|had\s+been|fueron|foram|se)\s+"
        r"(?:(?:prospectively|retrospectively|consecutively|successfully|finally|ultimately|eventually)\s+)?"
        + _VERB_STRONG),
    (9, r"\b<N>\s+(?:were|fueron|foram)\s+" + _VERB_STRONG),
    (9, r"\b<N>\s+" + _MODS + NOUN + r"\s+(?:with|who|from|in|on|con|com|de)\b[^.;]{0,140}?\s(?:were|fueron|foram)\s+"
        r"(?:(?:prospectively|retrospectively|consecutively|then|subsequently)\s+)?" + _VERB_STRONG),
    (9, r"\b(?:we|investigators|researchers|the\s+(?:study|trial|authors))?\s*"
        + _VERB_STRONG.replace("(?:", "(?:enroll(?:ed|s|ing)?|include[sd]?|including|randomi[sz]ing|", 1)
        + r"\s+(?:a\s+total\s+of\s+|data\s+(?:from|on)\s+)?<N>\s+" + _MODS + NOUN),
    (9, r"\b(?:se\s+(?:incluyeron|incluyo\s+a|analizaron|reclutaron|aleatorizaron|estudiaron|evaluaron)|"
        r"foram\s+(?:incluid[oa]s|inclu[ií]d[oa]s|avaliad[oa]s|randomizad[oa]s|estudad[oa]s|analisad[oa]s|"
        r"recrutad[oa]s))\s+<N>\b"),
    (9, r"\b" + _REPORT + r"\s+(?:(?:a|the|our|una|la|uma)\s+)?(?:(?:series|serie)\s+(?:of|de)\s+)?<N>\s+"
        + _MODS + NOUN),
    # a title or heading that names the count: "report of two cases", "relato de tres casos"
    (9, r"\b(?:report|reporte|relato|presentacion|apresentacao|descripcion|descricao|a\s+proposito|series|serie)\s+"
        r"(?:of|de|com)\s+<N>\s+(?:\w+\s+)?(?:cases|casos|patients|pacientes|doentes)\b"),
    (9, r"\b<N>\s+(?:new\s+)?cases?\s+reports?\b"),
    (8, r"\b(?:series|serie|cohort|cohorte|coorte|sample|muestra|amostra|population|poblacion|populacao|group|grupo|"
        r"study|estudio|estudo|registry|registro|database|data|datos|dados)\s+(?:of|de|from|with|including|com|con)\s+"
        r"(?:the\s+|los\s+|os\s+)?<N>\s+" + _MODS + NOUN),
    (8, r"\b(?:analizo|incluyo|evaluo|estudio|siguio|recluto|avaliou|incluiu|analisou|acompanhou|estudou|recrutou)"
        r"\s+(?:a\s+)?<N>\s+" + _MODS + NOUN),
    (8, r"\b" + _VERB_MEDIUM.replace("(?:", "(?:" + _VERB_BEFORE[3:-1] + "|", 1)
        + r"\s+(?:a\s+total\s+of\s+)?<N>\s+" + _MODS + NOUN),
    (8, r"\b<N>\s+(?:" + _MODS + NOUN + r"(?:\s+\([^)]{0,80}\))?\s+)?(?:were|was|fueron|foram)\s+"
        r"(?:(?:then|subsequently|finally|eventually)\s+)?" + _VERB_MEDIUM),
    (8, r"\b<N>\s+(?:" + _MODS + NOUN + r"\s+)?(?:\([^)]{0,80}\)\s+)?" + _RESPONDED + r"\b"),
    (8, r"\b(?:respondieron|contestaron|participaron|responderam|participaram)\s+(?:(?:a|al|ao|a\s+la|o)\s+)?"
        r"(?:(?:questionario|cuestionario|encuesta|inquerito|estudo|estudio)\s+)?<N>\b"),
    (7, r"\b<N>[-\s](?:patient|case|subject|participant|person)\b"),
    (7, r"(?:^|[.;:]\s+|\b(?:of|among|in)\s+(?:the|these|all|our)?\s*)(?:of|among|in|de|entre|em|dos|das|nos|nas)\s+"
        r"(?:the\s+|these\s+|all\s+|los\s+|las\s+|os\s+|as\s+)?<N>\s+" + _MODS + NOUN
        + r"\s*(?:included|enrolled|studied|followed|analy[sz]ed|treated|evaluated|assessed|\)|,)"),
    # a count that opens a sentence: "Eighteen patients with ... received"
    (6, r"(?:^|[.;:!?]\s+|\n\s*)<N>\s+" + _MODS + NOUN),
    (5, r"\b[nN]\s*=\s*<N>\b"),
    (4, r"\b<N>\s+" + _MODS + NOUN),
    (3, r"\bboth\s+(?P<both>patients|cases)\b"),
]
# One patient: a case report's self-description (score, pattern); no number needed.
_SINGLE_NOUN = (r"(?:man|woman|male|female|boy|girl|patient|child|infant|adolescent|teenager|gentleman|lady)")
_SINGLE_NOUN_ES_PT = (r"(?:paciente|mujer|varon|hombre|mulher|homem|nino|nina|crianca|adolescente|joven|jovem|lactante|"
                      r"lactente|menino|menina)")
SINGLE_CASE: list[tuple[int, str]] = [
    (8, r"\b(?:we|authors)\s+(?:report|describe|present|discuss|document)\s+(?:here\s+)?(?:the\s+|a\s+|an\s+|one\s+)"
        r"(?:[\w\-]+\s+){0,3}?(?:case|patient)\b(?!s)"),
    (8, r"\b(?:we|authors)\s+(?:report|describe|present)\s+(?:here\s+)?(?:a|an)\s+"
        r"\d{1,3}[\s\-]*(?:year|yr|month)s?[\s\-]*old\b"),
    (8, r"\b(?:presentamos|describimos|reportamos|comunicamos|se\s+presenta|se\s+describe|se\s+reporta|se\s+comunica|"
        r"relatamos|descrevemos|apresentamos|relata-se|descreve-se|apresenta-se|(?:(?:los|os)\s+autores\s+)?"
        r"(?:presentan|describen|reportan|comunican|apresentam|relatam|descrevem))\s+(?:el|un|o|um|a|uma)\s+caso\b"),
    (7, r"\b(?:case|caso)\s+(?:clinico\s+)?(?:of|de|do|da)\s+(?:una?|uma?|an?|o|a|el|la)\s+"
        r"(?:\d{1,3}[\s\-]*(?:year|yr)s?[\s\-]*old\s+)?(?:" + _SINGLE_NOUN[3:-1] + "|" + _SINGLE_NOUN_ES_PT[3:-1]
        + r")\b"),
    (7, r"\b(?:the\s+)?first\s+(?:reported|described|documented|published|known)\s+case\b|"
        r"\bfirst\s+case\s+(?:reported|described)\b|\bprimer\s+caso\s+(?:descrito|reportado|publicado|comunicado)\b|"
        r"\bprimeiro\s+caso\s+(?:descrito|relatado|publicado)\b"),
    # news: "neurologists have described a man with Crohn's disease who ..."
    (7, r"\b(?:described|reported|presented|detailed|documented)\s+(?:the\s+case\s+of\s+)?(?:an?|one)\s+"
        r"(?:\d{1,3}-year-old\s+|young\s+|elderly\s+|older\s+|pregnant\s+)?" + _SINGLE_NOUN
        + r"\b(?!s|\s+(?:cohort|population|group|series))"),
    (7, r"\b(?:describieron|describen|reportaron|presentaron|relataram|descreveram|apresentaram|relatam|descrevem)\s+"
        r"(?:el\s+caso\s+de\s+|o\s+caso\s+de\s+)?(?:una?|uma?)\s+" + _SINGLE_NOUN_ES_PT + r"\b"),
    (6, r"\b(?:a|an)\s+\d{1,3}[\s\-]*(?:year|yr)s?(?:[\s\-]*old)?\s+(?:\w+\s+){0,2}?"
        r"(?:man|woman|male|female|boy|girl|patient|lady|gentleman|caucasian|adolescent|child)\b"),
    (6, r"\b(?:una?|uma?)\s+(?:paciente|mujer|varon|hombre|mulher|homem|nino|nina|crianca|adolescente)\s+"
        r"(?:\w+\s+){0,4}?(?:de|com)\s+\d{1,3}\s+anos\b"),
    (6, r"\bpaciente\s+do\s+sexo\s+(?:feminino|masculino)\b"),
    # a sentence that opens on one person: "A woman in her fourth decade ...", "In a man with ... who had ..."
    (6, r"(?:^|[.;:]\s+|\n\s*)(?:in\s+)?(?:an?|one)\s+"
        r"(?:(?:young|elderly|older|middle-aged|previously\s+healthy|pregnant)\s+)?" + _SINGLE_NOUN
        + r"\s+(?:in\s+(?:his|her)\s+(?:\w+\s+)?(?:decade|teens|twenties|thirties|forties|fifties|sixties|seventies|"
        r"eighties)|with\b[^.]{0,140}?\bwho\s+(?:had|was|developed|presented|received|underwent|died))"),
    (2, r"^[^\n]{0,200}\b(?:a\s+case\s+report|case\s+report|reporte\s+de\s+(?:un\s+)?caso|relato\s+de\s+caso|"
        r"informe\s+de\s+un\s+caso)\b"),
]

# Words a pattern needs (lower case), as groups that each must have one word in the text: a pattern
# that finds nothing reads its whole region, so a text without them skips it. Keyed by pattern
# (tests/test_extract_cases.py checks every match on the tuning set holds its words).
_STRONG_WORDS = ("enrol", "inclu", "random", "recruit", "analy", "aleatoriz", "reclut", "recrut", "analis", "analiz",
                 "arrolad")   # _VERB_STRONG
_MEDIUM_WORDS = ("identif", "evaluat", "assessed", "treated", "follow", "studied", "examined", "reviewed", "observed",
                 "involved", "evaluad", "avaliad", "tratad", "seguid", "acompanhad", "estudad",
                 "revisad")   # _VERB_MEDIUM
PATTERN_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    PATTERNS[0][1]: (("total",),),
    PATTERNS[1][1]: (("total",),),
    PATTERNS[2][1]: (("studies", "trials", "articles", "estudios", "estudos"),),
    PATTERNS[3][1]: (("pooled",),),
    PATTERNS[4][1]: (_STRONG_WORDS,),
    PATTERNS[5][1]: (("were", "fueron", "foram"), _STRONG_WORDS),
    PATTERNS[6][1]: (("were", "fueron", "foram"), _STRONG_WORDS),
    PATTERNS[7][1]: (_STRONG_WORDS,),
    PATTERNS[8][1]: (("inclu", "analiz", "reclut", "aleatoriz", "estudi", "evalu", "avali", "random", "estudad",
                      "analis", "recrut"),),
    PATTERNS[10][1]: (("report", "relato", "presentacion", "apresentacao", "descripcion", "descricao", "proposito",
                       "serie"), ("cases", "casos", "patients", "pacientes", "doentes")),
    PATTERNS[11][1]: (("case",), ("report",)),
    PATTERNS[13][1]: (("analizo", "incluyo", "evaluo", "estudio", "siguio", "recluto", "avaliou", "incluiu", "analisou",
                       "acompanhou", "estudou", "recrutou"),),
    PATTERNS[14][1]: (("involv", "enrolling", "including", "follow", "studying", "treat", "compris", "cover",
                       "composed", "compuest", "compost", "constituid", "consist", "comprendio", "compreendeu",
                       "abrangeu", "identif", "evaluat", "assessed", "studied", "examined", "reviewed", "observed",
                       "evaluad", "avaliad", "tratad", "seguid", "acompanhad", "estudad", "revisad"),),
    PATTERNS[15][1]: (("were", "was", "fueron", "foram"), _MEDIUM_WORDS),
    PATTERNS[16][1]: (("respond", "replied", "took", "participa", "agreed", "completed", "contestaron", "aceptaron",
                       "aceitaram"),),
    PATTERNS[17][1]: (("respond", "contestaron", "participa"),),
    PATTERNS[18][1]: (("patient", "case", "subject", "participant", "person"),),
    PATTERNS[23][1]: (("both",),),
    PATTERNS[9][1]: (("report", "describ", "present", "document", "discuss", "comunica", "relata", "descrev"),),
    SINGLE_CASE[0][1]: (("report", "describe", "present", "discuss", "document"), ("case", "patient")),
    SINGLE_CASE[1][1]: (("report", "describe", "present"), ("old",)),
    SINGLE_CASE[2][1]: (("caso",),),
    SINGLE_CASE[3][1]: (("case", "caso"),),
    SINGLE_CASE[4][1]: (("first", "primer", "primeiro"), ("case", "caso")),
    SINGLE_CASE[5][1]: (("described", "reported", "presented", "detailed", "documented"),),
    SINGLE_CASE[6][1]: (("describ", "report", "present", "relat", "descrev"),),
    SINGLE_CASE[7][1]: (("year", "yr"),),
    SINGLE_CASE[8][1]: (("anos",),),
    SINGLE_CASE[9][1]: (("sexo",),),
    SINGLE_CASE[10][1]: (("decade", "teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies",
                          "eighties", "who"),),
    SINGLE_CASE[11][1]: (("report", "relato", "informe"), ("case", "caso")),
}

# --- context that makes a number something other than this study's count --------------------------
_SUBGROUP_BEFORE = re.compile(r"(?:of\s+whom|of\s+which|of\s+these|of\s+them|among\s+them|among\s+whom|including|"
                              r"de\s+los\s+cuales|de\s+las\s+cuales|de\s+ellos|dos\s+quais|das\s+quais|destes|deles|"
                              r"entre\s+ellos|sendo|only|solo|apenas)\W{0,3}$", re.I)
# "20 (41%) had fistulas" is a subgroup; "214 patients (61% women, ...)" is a total with its breakdown.
_PERCENT_AFTER = re.compile(r"(?:\s+" + _MODS + NOUN + r")?\s*(?:[(\[]\s*\d+(?:[.,]\d+)?\s*%\s*[)\],;]|"
                            r",\s*\d+(?:[.,]\d+)?\s*%(?=\s*(?:[),;.]|$|(?:of|del?|do|da)\s+(?:the\s+|la\s+|a\s+)?"
                            r"(?:total|cohort|sample|study|muestra|amostra|estudio|estudo)\b)))", re.I | re.M)
_OF_TOTAL_AFTER = re.compile(r"\s*(?:of|/|de|out\s+of)\s*(?:the\s+|los\s+|os\s+)?\d", re.I)
_SCREENED_AFTER = re.compile(r"[^.;]{0,60}?\b(?P<kw>screened|assessed\s+for\s+eligibility|eligible|invited|approached|"
                             r"excluded|excluid[oa]s|elegibles?|elegiveis|tamizad[oa]s|triad[oa]s)\b", re.I)
_ENROLLED_BEFORE = re.compile(r"\b(?:studies|trials|articles|estudios|estudos|enroll\w*|includ\w*|randomi[sz]\w*|"
                              r"recruit\w*)\b", re.I)
# Ratios and rates: "one in 150 people", "per 100,000", "30 casos por 100 mil habitantes".
_RATIO_BEFORE = re.compile(r"(?:\b(?:1|one|un[oa]?|uma?)\s+(?:in|out\s+of|of\s+every|en|de\s+cada|em\s+cada|a\s+cada|"
                           r"em|per)\s+(?:every\s+)?|\b(?<!compuesta\s)(?<!compuesto\s)(?<!composta\s)(?<!composto\s)"
                           # "composta por 87 pacientes" is made of 87, not a rate
                           r"(?<!formada\s)(?<!formado\s)(?<!constituida\s)(?<!constituido\s)"
                           r"(?:per|por|por\s+cada|a\s+cada)\s+)$", re.I)
_RATE_AFTER = re.compile(r"(?:\s+" + _MODS + NOUN + r")?\s*(?:(?:per|por|/)\s*(?:\d|cada|each|every|100)|"
                         r"(?:a|an|each|every|per|por|al|ao|cada)\s+(?:day|week|month|year|dia|semana|mes|ano)\b)",
                         re.I)
# Sentences that quote the literature, surveillance tallies, other studies or the population.
_LITERATURE = re.compile(
    r"\b(?:previously\s+(?:reported|published|described)|(?:in|of|from)\s+the\s+literature|"
    r"ha(?:ve|d)\s+been\s+(?:reported|described|published|confirmed)|has\s+been\s+reported|"
    r"literature\s+review|review\s+of\s+the\s+literature|reported\s+cases|post-?marketing|"
    r"en\s+la\s+literatura|na\s+literatura|descritos\s+previamente|previamente\s+(?:descritos|reportados|publicados)|"
    r"han\s+(?:sido\s+)?(?:reportado|descrito|publicado)|foram\s+(?:descritos|relatados)\s+(?:na|em)|"
    r"(?:an?\s+|the\s+)?(?:earlier|previous|prior|separate|older)\s+(?:\w+\s+)?(?:study|studies|trial|trials|analysis|"
    r"report|survey|cohort)|estudios?\s+(?:previos?|anteriores?)|estudos?\s+(?:anteriores?|previos?))\b", re.I)
_OWN_REPORT = re.compile(r"\s*" + _REPORT, re.I)
# Tallies: weaker cues, since "the largest study to date enrolled 2,000 patients" is still the study.
_TALLY = re.compile(r"\b(?:worldwide|to\s+date|as\s+of\s+(?:\w+\s+)?\d|cumulative(?:ly)?|hasta\s+la\s+fecha|"
                    r"ate\s+o\s+momento|ate\s+(?:hoje|agora))\b", re.I)
_POPULATION = re.compile(
    r"\b(?:liv(?:e|es|ing)\s+with|suffer(?:s|ing)?\s+from|are\s+affected|affect(?:s|ing)?\s+(?:about|around|an?\s+estimated|"
    r"approximately|more\s+than|nearly|over|some|up\s+to|roughly)|viven\s+con|padecen|sufren|conviven|convivem|"
    r"vivem\s+com|sofrem\s+de|estima-se\s+que|se\s+estima\s+que)", re.I)
# Incidence: "each year about 70,000 people are diagnosed" names a yearly figure and a diagnosis
# (only against weak evidence: a cohort sentence may also give a yearly rate).
_YEARLY = re.compile(r"\b(?:each|every|per)\s+year\b|\bannually\b|\b(?:cada|al|por|ao)\s+ano\b|\banualmente\b", re.I)
_DIAGNOSED = re.compile(r"\b(?:diagnosed|new\s+cases|se\s+diagnostican|diagnosticad[oa]s|casos\s+nuevos|"
                        r"novos\s+casos)\b", re.I)
# Laboratory and animal work has no case count: its samples, cells and animals are not patients.
_LAB = re.compile(r"\b(?:mice|murine|mouse|rats?|rodents?|zebrafish|ratones|camundongos|ratos|in\s+vitro|cell\s+lines?|"
                  r"organoids?|lineas\s+celulares|linhagens?\s+celulares|cultivos\s+(?:de\s+)?celul\w*|culturas?\s+(?:de\s+)?celul\w*)\b",
                  re.I)
# Words one of which each pattern needs (lower case): a text without any skips its search.
_LAB_WORDS = ("mice", "murine", "mouse", "rat", "rodent", "zebrafish", "camundongos", "vitro", "cell", "organoid",
              "celul")
_SAMPLES = re.compile(r"\b(?:samples?|specimens?|biops\w+|tissues?|sera|serum|plasma|stool|donors?|cells|muestras?|"
                      r"amostras?|tejidos?|tecidos?|donantes|doadores|celulas)\b", re.I)
# "n = 40 ... n = 40" in a sentence that allocates: arm sizes, summed.
_ARM = re.compile(r"\b[nN]\s*=\s*(\d+)\b")
_ALLOCATING = re.compile(r"\b" + _ALLOCATED + r"|\brandomly\b", re.I)
_NOUN_AFTER = re.compile(r"\s+(?:[a-z][\w'\-]*\s+)?" + NOUN, re.I)
_YEAR_BEFORE = re.compile(r"\b(?:in|en|em|since|desde|during|durante|from|until|hasta|ate|between|entre|year|ano)\s+$",
                          re.I)
# In a review, a count is the review's own only when it speaks in the first person.
_SELF = re.compile(r"\b(?:we|our|nosotros|nuestr[oa]s?|nos|nossa|nosso)\b", re.I)
# Parts of a total: "14 patients with definite and one with probable PML" = 15.
_PARTS = re.compile(r"\b(?P<n>\d+)\s+" + _MODS + NOUN + r"\s+" + _WITH + r"\s+[^,;.\d()]{2,60}?\s+(?:and|y|e)\s+"
                    r"(?P<m>\d+)\s+(?:" + NOUN + r"\s+)?" + _WITH + r"\b", re.I)
# A total given only as arms: "allocated 88 to the drug and 90 to placebo".
_ARMS = re.compile(r"\b" + _ALLOCATED + r"\b[^.;]{0,60}?(?<![\d.,])(?P<n>\d+)\s+"
                   r"(?:" + _MODS + NOUN + r"\s+(?:" + _WITH + r"\s+[^,;.\d()]{0,50}?\s+)?)?" + _TO
                   + r"\b[^.;]{1,80}?\b(?:and|y|e)\s+(?P<m>\d+)\s+(?:" + NOUN + r"\s+)?" + _TO + r"\b", re.I)
_ARMS_WORDS = ("allocated", "assigned", "randomi", "asign", "aleatoriz", "distribuid", "alocad")
# A total given only as groups: "the switch group included 204 patients, the control group 141".
_GROUPS = re.compile(r"\b(?:group|arm|cohort|grupo|coorte|cohorte)\s+"
                     r"(?:included|comprised|consisted\s+of|had|incluy[oó]|"
                     r"incluiu|inclu[ií]a)\s+(?P<n>\d+)\s+" + _MODS + NOUN + r"[^.;\d]{0,40}?(?:,|;|\band\b|\bwhile\b|"
                     r"\bwhereas\b|\by\b|\be\b)\s+(?:the\s+|el\s+|o\s+)?(?:[\w-]+\s+){0,2}?(?:group|arm|cohort|grupo|"
                     r"coorte|cohorte)\s+(?:(?:included|comprised|had|incluy[oó]|incluiu)\s+)?(?P<m>\d+)\s+"
                     r"(?:" + _MODS + NOUN + r")?", re.I)
_GROUPS_WORDS = ("group", "arm", "cohort", "grupo", "coorte")
_MAX_COUNT = 20_000_000   # national registers reach millions ("6.1 million children")
_LARGE_BARE = 100_000  # a bare "300,000 people" is a population, not a study
# A study states its size early (abstract, methods, first paragraphs of a news story);
# deep text adds cost and numbers from other studies.
_SCAN_CHARS = 15_000
_SINGLE_CASE_CHARS = 6_000
_LAB_CHARS = 1_500

# A number: "24,142", "24.142 " (es/pt), "45"; not part of a word, decimal, date or percentage.
# It opens on a digit (the lookbehind comes after it) so the regex engine can skip to digits fast.
_NUM_GROUP = (r"(?P<n>\d(?<![\w.,/\-]\d)(?:\d{0,2}(?:,\d{3})+|\d{0,2}(?:\.\d{3})+(?=\s)|"
              # "2 437 patients"; not "week 12 204 patients" (a number after week/days/month/year)
              r"(?<![ksyh] \d)\d{0,2}(?:[ \u00a0\u202f\u2009]\d{3})+(?=\s+[a-z])|\d*))"
              r"(?![\w]|[.,]\d|\s*%)")
_COUNTED_PHRASE = "<N>\\s+" + _MODS + NOUN
# Where each pattern can match: "count" = only sentences holding "<number> <counted noun>",
# "number" = sentences holding a digit, "all" = anywhere, "lead" = the first _SINGLE_CASE_CHARS.
_COMPILED = [(s, re.compile(p.replace(r"\b<N>", "<N>").replace("<N>", _NUM_GROUP), re.I | re.M),
              "count" if _COUNTED_PHRASE in p else "number" if "<N>" in p else "all", PATTERN_WORDS.get(p, ()))
             for s, p in PATTERNS]
_COUNTED = re.compile(_COUNTED_PHRASE.replace("<N>", _NUM_GROUP), re.I)
_COMPILED_SINGLE = [(s, re.compile(p, re.I | re.M), "lead", PATTERN_WORDS.get(p, ())) for s, p in SINGLE_CASE]
# Every pattern, highest score first: the order _candidates reads them in.
_ORDERED = sorted(_COMPILED + _COMPILED_SINGLE, key=lambda entry: -entry[0])
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class CaseCount:
    """A study's count and the sentence it was read from (original wording, whitespace normalised).

    Unpacks like a pair: `count, evidence = find_case_count(text)`.
    """

    count: int
    evidence: str

    def __iter__(self) -> Iterator[int | str]:
        return iter((self.count, self.evidence))


@dataclass(frozen=True)
class Candidate:
    count: int
    score: int
    pos: int
    first_person: bool = False


def _to_int(raw: str) -> int | None:
    digits = re.sub(r"[,.\s]", "", raw)
    if not digits.isdigit():
        return None
    value = int(digits)
    return value if 0 < value <= _MAX_COUNT else None


def _excluded(work: str, m: re.Match, score: int, reading: Reading) -> bool:
    start, end = m.span("n")
    if score < 10 and _SUBGROUP_BEFORE.search(work, max(0, start - 20), start):
        return True
    if _PERCENT_AFTER.match(work, end):
        return True
    if score < 10 and _OF_TOTAL_AFTER.match(work, end):
        return True  # "12 of 45 patients": 12 is a part, 45 is proposed by its own match
    screened = _SCREENED_AFTER.match(work, end)
    if screened and not _ENROLLED_BEFORE.search(work, m.start(), screened.start("kw")):
        # "of 300 patients screened"; but "we enrolled 52 eligible patients", "6 trials of 2815 patients were
        # eligible", "120 patients were enrolled and 12 were excluded"
        return True
    if _RATIO_BEFORE.search(work, max(0, start - 16), start) or _RATE_AFTER.match(work, end):
        return True
    value = _to_int(m.group("n")) or 0
    year_like = 1900 <= value <= 2100
    if year_like and (not _NOUN_AFTER.match(work, end) or _YEAR_BEFORE.search(work, max(0, start - 10), start)):
        return True  # a year ("from 2014 to 2019 were analysed", "en 2025 incluyó a ..."), not a count
    if score <= 4 and value >= _LARGE_BARE:
        return True
    s0, s1 = reading.bounds(start)
    if score < 10 and _LITERATURE.search(work, s0, s1) and not _OWN_REPORT.match(work, m.start()):
        return True  # cases from the literature; but "we present 3 cases and a literature review" are the authors' own
    if score < 9 and (_TALLY.search(work, s0, s1) or _POPULATION.search(work, s0, s1)):
        return True
    if score <= 6 and _YEARLY.search(work, s0, s1) and _DIAGNOSED.search(work, s0, s1):
        return True
    return False


def _sums(work: str, lowered: str | None) -> tuple[dict[int, int], list[Candidate]]:
    """Totals given only as parts: position of each part -> the sum of its group, and one
    candidate per arms phrase ("allocated 88 to X and 90 to placebo" has no counted noun)."""
    at: dict[int, int] = {}
    arms: list[Candidate] = []
    for pattern, words in ((_PARTS, None), (_ARMS, _ARMS_WORDS), (_GROUPS, _GROUPS_WORDS)):
        if words and not holds_any(lowered, words):
            continue
        for m in pattern.finditer(work):
            if _SUBGROUP_BEFORE.search(work, max(0, m.start("n") - 20), m.start("n")):
                continue
            total = int(m.group("n")) + int(m.group("m"))
            at.setdefault(m.start("n"), total)
            at.setdefault(m.start("m"), total)
            if pattern is _ARMS:
                arms.append(Candidate(total, 8, m.start("n")))
    return at, arms


def _arm_totals(work: str, reading: Reading) -> list[Candidate]:
    """'randomised to X (n = 40) or placebo (n = 40)': arm sizes in a sentence that allocates."""
    found = []
    seen: set[int] = set()
    for m in _ARM.finditer(work):
        s0, s1 = reading.bounds(m.start())
        if s0 in seen:
            continue
        seen.add(s0)
        sizes = [int(n) for n in _ARM.findall(work, s0, s1)]
        if len(sizes) > 1 and _ALLOCATING.search(work, s0, s1):
            found.append(Candidate(sum(sizes), 8, m.start(1)))
    return found


def candidates(text: str, lang: str = "en") -> list[Candidate]:
    """Every count the rules propose, with its score and position."""
    return _candidates(Reading(text[:_SCAN_CHARS], lang)) if text else []


def _candidates(reading: Reading, accept: Callable[[Candidate], bool] | None = None) -> list[Candidate]:
    """Candidates, pattern by pattern from the highest score down. With `accept`, stop once no
    remaining pattern can outscore an accepted candidate (most pages state their total early in
    the list, so the many weak patterns are skipped)."""
    work, lowered = reading.work, reading.lowered
    lab = holds_any(lowered and lowered[:_LAB_CHARS], _LAB_WORDS) and bool(_LAB.search(work, 0, _LAB_CHARS))

    def keep(c: Candidate) -> bool:
        return not lab or (c.score >= 9 and not _SAMPLES.search(work, *reading.bounds(c.pos)))

    where = {"number": reading.runs(_DIGIT), "all": [(0, len(work))], "lead": [(0, min(len(work), _SINGLE_CASE_CHARS))]}
    where["count"] = reading.runs(_COUNTED) if where["number"] else []
    sums, arms = _sums(work, lowered)
    arms += _arm_totals(work, reading)
    arm_sentences = {reading.index(c.pos) for c in arms}
    found = [c for c in arms if keep(c)]
    best = max((c.score for c in found if accept and accept(c)), default=0)
    held: dict[int, bool] = {}   # id of a word group -> whether the text holds one (groups are shared)
    for score, pattern, needs, words in _ORDERED:
        if accept and score < best:
            break
        skip = False
        for group in words:
            ok = held.get(id(group))
            if ok is None:
                ok = held[id(group)] = holds_any(lowered, group)
            if not ok:
                skip = True
                break
        if skip:
            continue
        for m in (m for s0, s1 in where[needs] for m in pattern.finditer(work, s0, s1)):
            if needs == "lead":
                c = _single(work, m, score, reading)
            else:
                c = _counted(work, m, score, reading, sums, arm_sentences)
            if c is not None and keep(c):
                found.append(c)
                if accept and accept(c):
                    best = max(best, c.score)
    return found


def _counted(work: str, m: re.Match, score: int, reading: Reading, sums: dict[int, int],
             arm_sentences: set[int]) -> Candidate | None:
    if m.groupdict().get("both"):
        return Candidate(2, score, m.start())
    value = _to_int(m.group("n"))
    if value is None or (value == 1 and score <= 7) or _excluded(work, m, score, reading):
        return None  # "one patient died" is an event; one-patient reports are read by SINGLE_CASE
    pos = m.start("n")
    if score == 5 and reading.index(pos) in arm_sentences:
        return None  # an arm size; its sentence's total is proposed by _arm_totals
    s0, s1 = reading.bounds(pos)
    return Candidate(sums.get(pos, value), score, pos, bool(_SELF.search(work, s0, s1)))


def _single(work: str, m: re.Match, score: int, reading: Reading) -> Candidate | None:
    s0, s1 = reading.bounds(m.start())
    if score < 8 and _LITERATURE.search(work, s0, s1):
        return None
    return Candidate(1, score, m.end() - 1)  # the end lies in the describing sentence


def _any(c: Candidate) -> bool:
    return True


def _pooled(c: Candidate) -> bool:
    return c.score >= 10 or (c.score >= 8 and c.first_person)


def _best(found: list[Candidate]) -> Candidate | None:
    return min(found, key=lambda c: (-c.score, c.pos)) if found else None


def find_case_count(text: str | None, lang: str = "en", pooled_only: bool = False) -> CaseCount | None:
    """The study's number of patients/cases and the sentence stating it, or None when the text does not say.

    `pooled_only` (for narrative reviews) accepts only explicit totals, since
    the other numbers in a review belong to the studies it cites.
    """
    if not text:
        return None
    accept = _pooled if pooled_only else _any
    reading = Reading(text[:_SCAN_CHARS], lang)
    best = _best([c for c in _candidates(reading, accept) if accept(c)])
    return CaseCount(best.count, reading.sentence(best.pos)) if best else None


def case_count(text: str | None, lang: str = "en", pooled_only: bool = False) -> int | None:
    """The study's number of patients/cases, or None when the text does not state it."""
    found = find_case_count(text, lang, pooled_only)
    return found.count if found else None
