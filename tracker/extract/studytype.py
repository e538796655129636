"""study_type: one of STUDY_TYPES for every record, from registry types, text cues and MeSH.

Precedence (applied in `classify`):
1. publication types (registry); a few need the text to settle them:
   "Systematic Review" is meta_analysis only when results were pooled,
   "Clinical Trial" is rct only when the text says randomised (else cohort:
   a single-arm or open-label trial follows treated patients over time),
   "Case Reports" is case_series when the text names several patients,
   "Letter"/"Comment"/"Editorial" is other unless it describes its own cases;
2. strong cues in the title, then in the first part of the abstract/body
   (what the study says it is: "randomly assigned", "we describe three
   patients", "in mice", "we read with interest");
3. MeSH design headings;
4. weak cues in title and text (news that reports a study: "researchers
   followed 1,204 children" -> cohort; approvals, events, policy, personal
   stories -> other; overview-style titles -> review; a named trial -> rct);
5. fallback in `fallback`: a counted set of patients is observational (cohort),
   anything else is other.
The case_report/case_series split then follows the patient count (`split_case_type`).

"cohort" means an observational study of people: followed over time,
registries, population-based, chart reviews, cross-sectional surveys,
case-control studies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tracker.textutil import fold

STUDY_TYPES = ("case_report", "case_series", "cohort", "rct", "meta_analysis", "review", "other")

# --- registry publication types (lower case) -> kind; "trial", "sysrev" and "letter" are settled by text.
PUBLICATION_TYPES: list[tuple[str, str]] = [
    (r"meta-?analysis|network meta", "meta_analysis"),
    (r"randomi[sz]ed controlled trial|randomi[sz]ed-controlled-trial|^rct$", "rct"),
    (r"case reports?|case-report", "case_report"),
    (r"systematic[- ]review", "sysrev"),
    (r"clinical trial|clinical-trial|equivalence trial", "trial"),
    (r"observational study|cohort", "cohort"),
    # before "review": a book review or an erratum is not a review article
    (r"book[- ]review|erratum|correction|retract|expression of concern", "other"),
    (r"\breview\b|review-article", "review"),
    (r"letter|comment|correspondence|reply|editorial|discussion", "letter"),
    (r"guideline|consensus|news|interview|biography|historical article|portrait|lecture|congress|"
     r"video-audio|patient education", "other"),
]
# MeSH study-design headings (registry keywords), used when types and text say nothing.
MESH_DESIGNS: list[tuple[str, str]] = [
    (r"^(?:cohort|retrospective|prospective|follow-up|longitudinal|case-control|cross-sectional) studies$|"
     r"^surveys and questionnaires$|^registries$", "cohort"),
    (r"^(?:animals|mice|rats|mice, inbred \w+|mice, knockout|disease models, animal|cell line|in vitro techniques|"
     r"organoids|markov chains|cost-benefit analysis|mendelian randomization analysis|genome-wide association study)$",
     "other"),
]

# --- text cues (run on accent-folded text, case-insensitive unless noted)
_FEW_EN = (r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
           r"seventeen|eighteen|nineteen|twenty)")
_FEW_ES_PT = r"(?:dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|dois|duas|tr[eê]s|quatro|sete|oito|nove|dez)"
_FEW = r"(?:[2-9]|1\d|20|" + _FEW_EN + "|" + _FEW_ES_PT + ")"

_META = (r"meta-?analy[sz]\w*|meta-?an[aá]lis[ie]s|metan[aá]lis[ie]s?|pooled\s+analysis|an[aá]lisis\s+agrupado|"
         r"(?:combined|pooled)\s+(?:the\s+)?(?:results|data)\s+(?:of|from)\s+(?:\d+|\w+)\s+(?:\w+\s+)?"
         r"(?:studies|trials)")
_SYSREV = (r"systematic\s+(?:literature\s+)?review|revisi[oó]n\s+sistem[aá]tica|revis[aã]o\s+sistem[aá]tica|"
           r"revue\s+syst[eé]matique")
# A systematic review pools (meta_analysis) or describes (review); these say which.
_POOLED = (r"pooled|random[- ]effects?|fixed[- ]effects?|summary\s+(?:odds|risk|hazard)\s+ratio|\bi2\s*=|\bi²|"
           r"forest\s+plot|efectos\s+aleatorios|efeitos\s+aleat[oó]rios|se\s+combinaron|foram\s+combinados")
_NOT_POOLED = (r"not\s+(?:be\s+)?pooled|without\s+(?:a\s+)?meta-?analysis|narrative\s+synthesis|narratively|"
               r"sin\s+metaan[aá]lisis|sem\s+metan[aá]lise|forma\s+(?:qualitativa|cualitativa|descritiva|descriptiva)")

_NOT_RANDOM = r"(?<!non)(?<!non-)(?<!no )(?<!nao )(?<!not )"
_RCT = (_NOT_RANDOM + r"randomi[sz]ed,?\s+(?:double|single|triple|observer|assessor)[- ]blind\w*|"
        r"double[- ]blind\w*,?\s+(?:randomi[sz]ed|placebo)|placebo[- ]controlled(?!(?:[\s,-]+\w+){0,3}?\s+(?:trials|"
        r"studies)\b)|"
        + _NOT_RANDOM + r"randomi[sz]ed\s+(?:\w+[- ]?\w*\s+){0,3}?(?:trial|study)\b|"
        r"ensayo\s+(?:cl[ií]nico\s+)?(?:aleatori[sz]ado|controlado)|controlado\s+(?:con|por)\s+placebo|"
        r"ensaio\s+(?:cl[ií]nico\s+)?(?:randomizado|aleatori[sz]ado|controlado)|"
        r"allocation:?\s+randomi[sz]ed|estudio\s+aleatori[sz]ado|estudo\s+randomizado|"
        r"head-to-head\s+(?:[\w'-]+\s+){0,2}?(?:trial|study)")
_RCT_SELF = (r"\b(?:we\s+(?:conducted|performed|carried\s+out|undertook|report|did)\s+(?:a|"
             r"an)\s+(?:\w+[, -]+){0,4}?" + _NOT_RANDOM + r"randomi[sz]ed|"
             r"(?:this|our|the\s+present|in\s+this)\s+(?:\w+[, -]+){0,4}?" + _NOT_RANDOM
             + r"(?:randomi[sz]ed|double-blind)|"
             r"were\s+randomi[sz]ed|were\s+randomly\s+(?:assigned|allocated)|randomly\s+assigned|"
             r"were\s+randomi[sz]ed\s+(?:\(|\d|to|in)|we\s+randomi[sz]ed|"
             r"fueron\s+(?:aleatori[sz]ados|asignados\s+aleatoriamente|distribuidos\s+aleatoriamente)|"
             r"asignad[oa]s\s+(?:de\s+forma\s+)?aleatori(?:amente|a)|foram\s+(?:randomizados|aleatori[sz]ados)|"
             r"(?:alocad|distribu[ií]d)[oa]s\s+(?:de\s+forma\s+)?aleatori(?:amente|a))")
# Trials that say they were not randomised: patients followed on one treatment.
_NONRANDOM_TRIAL = (r"single[- ]arm|open[- ]label,?\s+(?:single|uncontrolled|non-?comparative|pilot)|"
                    r"uncontrolled\s+(?:\w+\s+)?"
                    r"(?:trial|study)|non-?randomi[sz]ed|open[- ]label\s+extension|(?<=\bun\s)solo\s+brazo|"
                    r"bra[cç]o\s+[uú]nico|"
                    r"(?<=\bno\s)aleatori[sz]ado|(?<=\bnao\s)randomizado|pilot\s+study")
# "a phase 3 trial" is almost always randomised, but weaker than a stated randomisation.
_PHASE_TRIAL = (r"phase\s+(?:2|3|ii|iii|2b|iib|2/3|ii/iii)\b[^.]{0,40}\btrial\b|"
                r"\bfase\s+(?:2|3|ii|iii)\b[^.]{0,40}\bensa[iy]o\b")

_SERIES = (r"case\s+series|series\s+of\s+\d+\s+(?:\w+\s+)?(?:cases|patients)|"
           r"serie\s+de\s+(?:\d+\s+|" + _FEW_ES_PT + r"\s+)?(?:casos|pacientes)|s[eé]rie\s+de\s+(?:\d+\s+|" + _FEW_ES_PT
           + r"\s+)?(?:casos|pacientes)|"
           r"\b(?:we|authors)\s+(?:report|describe|present)\s+(?:\d+|" + _FEW_EN + r")\s+(?:\w+\s+)?(?:cases|"
           r"patients|women|men|children|siblings|brothers|sisters|twins|adults|infants|boys|girls)|"
           r"(?:presentamos|describimos|reportamos|relatamos|descrevemos|apresentamos)\s+(?:\d+|" + _FEW_ES_PT
           + r")\s+(?:casos|pacientes)|"
           r"\b(?:report(?:ed|s|ing)?|describe[sd]?|describing|present(?:ed|s|ing)?)\s+(?:on\s+)?(?:\d+|"
           r"" + _FEW_EN + r")\s+(?:\w+\s+)?cases\b|"
           # "doctors have described three patients": a few patients described is a series
           r"\b(?:reported|described|describe[sd]?|present(?:ed|s)?)\s+(?:[2-9]|1\d|"
           r"" + _FEW_EN + r")\s+(?:\w+\s+)?patients\b|"
           r"\b(?:describieron|reportaron|presentaron|comunicaron|describen|relataram|descreveram|apresentaram|"
           r"relatam|descrevem)\s+"
           r"(?:\d+|" + _FEW_ES_PT + r")\s+(?:\w+\s+)?(?:casos|pacientes)\b")
_CASE = (r"case\s+report|\b(?:we|authors)\s+(?:report|describe|present)\s+(?:here\s+)?(?:the\s+|a\s+|"
         r"an\s+)(?:[\w-]+\s+){0,3}?"
         r"(?:case|patient)\b(?!s)|"
         r"reporte\s+de\s+(?:un\s+)?caso|relato\s+de\s+caso|caso\s+cl[ií]nico|informe\s+de\s+un\s+caso|"
         r"a\s+prop[oó]sito\s+de\s+un\s+caso|"
         r"(?:presentamos|describimos|reportamos|se\s+presenta|se\s+describe|relatamos|descrevemos|apresentamos|"
         r"relata-se|descreve-se)\s+"
         r"(?:el|un|o|um)\s+caso\b|\b(?:paciente|doente)\s+(?:de|do)\s+sexo\s+(?:femenino|masculino|feminino)|"
         r"case\s+presentation|(?:^|[.:]\s+)(?:an?\s+)?\d{1,3}[- ]year[- ](?:old\s+)?(?:\w+\s+)?"
         r"(?:man|woman|male|female|boy|girl|patient)\b")
# "Two cases and a review of the literature": a title naming a few cases is a
# case series, whatever else it names (the review is of earlier reports).
_TITLE_FEW_CASES = (r"\b" + _FEW + r"\s+(?:new\s+|consecutive\s+|(?:p(?:a)?ediatric|adult|fatal|unusual|nuevos|"
                    r"novos)\s+)?"
                    r"(?:cases|casos)\b")

# Editorials, letters and comments on someone else's work.
# Context words sit in lookbehinds so that each alternative starts with a rare word (see _Cue).
_LETTER_TEXT = (r"^sir\s*[,.]|^editor\s*,|(?<=\bto\sthe\s)editor\b|\bdear\s+(?:editor|sir|madam)|"
                r"(?<=\bwe\s)read\s+with\s+(?:great\s+)?interest|"
                r"(?<=\bin\sthis\s)issue\s+of\b|\bthis\s+(?:editorial|commentary|viewpoint)\b|(?<=\bsr\.\s)director\b|"
                r"(?<=\bsr\s)director\b|"
                r"carta\s+al\s+(?:director|editor)|hemos\s+le[ií]do\s+con\s+(?:gran\s+)?inter[eé]s|"
                r"(?:caro|prezado)\s+editor|lemos\s+com\s+(?:grande\s+)?interesse|carta\s+ao\s+editor")
_LETTER_TITLE = (r"^(?:correspondence|editorial|commentary|comment\s+on|viewpoint|reply|response\s+to|re:|letter)\b|"
                 r"^(?:comentario|carta|comentario\s+sobre|resposta|coment[aá]rio)\b|(?<=\bin\s)reply\b")
# Guidelines and consensus documents: title words only (texts cite guidelines all the time).
_GUIDELINE_TITLE = (r"guideline|consensus|position\s+statement|recommendations\s+(?:of|from|for)|delphi|"
                    r"gu[ií]a\s+de\s+pr[aá]ctica|consenso|diretriz|diretrizes|protocolo\s+cl[ií]nico")

# Genetic instruments, not a randomised trial: checked before anything else.
_MENDELIAN = r"mendelian\s+randomi[sz]ation"
# Laboratory, animal, in-vitro, genetic and modelling work.
_LAB = (r"\bmice\b|\bmouse\s+models?\b|murine\s+(?:model|colitis|ileitis)|\bmodelo\s+(?:murino|animal|experimental)|"
        r"\brats\b|zebrafish|(?<=\bin\s)vitro\b|in-vitro\b|organoids?|cell\s+lines?|knock-?out\s+mice|germ-free|"
        r"animal\s+models?|"
        r"\bdss-induced|\btnbs|dextran\s+(?:sodium\s+)?sulfate|dextrano\s+sulfato|trinitrobenzene|ratones|camundongos|"
        r"\bratos\b|\bratas\b|lab-grown|(?<=\bin\sthe\s)laboratory|(?<=\ben\s)laboratorio|(?<=\ben\sel\s)laboratorio|"
        r"(?<=\bem\s)laboratorio|"
        r"genome-wide\s+association\s+(?:study\s+)?(?:data|summary|statistics)|"
        r"markov\s+(?:model|cohort|decision)|cost[- ](?:effectiveness|utility)|decision[- ]analytic|microsimulation|"
        r"hypothetical\s+cohort|budget\s+impact|custo-efetividade|coste-efectividad")

_REVIEW_SELF = (r"\b(?:this|the\s+present|our|in\s+this)\s+(?:narrative\s+|comprehensive\s+|clinical\s+|brief\s+|"
                r"mini-?\s*)?review|"
                r"\bwe\s+(?:review|summari[sz]e|discuss|provide\s+an?\s+(?:overview|update))\b|"
                r"\bhere,?\s+we\s+(?:review|summari[sz]e)|"
                r"\b(?:this|the\s+present)\s+(?:article|paper|chapter)\s+(?:reviews|summari[sz]es|discusses|"
                r"provides\s+an?)\b|"
                r"\b(?:esta|la\s+presente)\s+revisi[oó]n|revisi[oó]n\s+narrativa|\bse\s+realiz[oó]\s+una\s+revisi[oó]n|"
                r"\b(?:esta|nesta|a\s+presente)\s+revis[aã]o|revis[aã]o\s+narrativa|artigo\s+de\s+revis[aã]o|"
                r"trata-se\s+de\s+(?:um\s+artigo\s+de\s+|uma\s+)?revis[aã]o|"
                r"objetivo\s+deste\s+trabalho\s+[eé]\s+(?:o\s+de\s+)?revisar|"
                r"\brevisamos\b")

# Observational designs (cohort in the sense above).
_CHART_REVIEW = (r"retrospective(?:ly)?\s+review(?:ed)?|chart\s+review|"
                 r"review\s+of\s+(?:the\s+)?(?:medical\s+)?(?:records|charts)|"
                 r"revisi[oó]n\s+(?:retrospectiva\s+)?de\s+(?:historias|expedientes)|revis[aã]o\s+de\s+prontu[aá]rios")
_COHORT = (r"\bcohort\b|retrospective|prospective|observational|registry|registries|registers|real[- ](?:world|life)|"
           r"estudio\s+multic[eé]ntrico|estudo\s+multic[eê]ntrico|"
           r"population[- ]based|nationwide|\bmedical\s+records|\bdatabase\b|base\s+de\s+datos|cohorte|coorte|"
           r"retrospectiv[oa]|prospectiv[oa]|observacional|longitudinal|multicent(?:er|re|ric)\s+study|"
           r"case[- ]control|cross[- ]sectional|\bsurveys?\b|questionnaire|caso[- ]control|transversal|"
           r"single[- ]cent(?:er|re)|tertiary\s+(?:care\s+)?cent(?:er|re)|"
           r"(?:our|cent(?:er|re)'?s?|institutional|clinical|initial|long-term|\d+-year)\s+experience\b|"
           r"estudio\s+poblacional|registros?\s+(?:de\s+pacientes|nacional|multic[eé]ntrico|prospectivo)|"
           r"(?<=\bsu\s)registro\b|(?<=\bdel\s)registro\b|nuestro\s+registro\b|experi[eê]ncia\s+(?:cl[ií]nica|"
           r"de\s+um)|centro\s+terci[aá]rio")
# A news story reporting on a study of counted people.
_NUM = r"(?:\d[\d,.]*|\w+\s+(?:hundred|thousand)|hundreds|thousands)"
_NEWS_STUDY = (r"\bresearchers\s+(?:\w+\s+){0,2}?(?:followed|tracked|analy[sz]ed|examined|studied|looked\s+at|"
               r"reviewed|surveyed|tested|measured|compared)\b|"
               r"\b(?:followed|tracked)\s+" + _NUM + r"\s+(?:\w+\s+)?(?:people|patients|children|adults|women|men|"
               r"participants)|"
               r"\bstudy\s+(?:of|involving|including|in)\s+" + _NUM + r"\s+(?:\w+\s+)?(?:people|patients|children|"
               r"adults|women|men)|"
               r"\b(?:data|records)\s+(?:from|on|of)\s+" + _NUM + r"\s+(?:\w+\s+)?(?:people|patients)|"
               r"\b(?:dados|registros|prontu[aá]rios|datos|historias\s+cl[ií]nicas|muestra|amostra)\s+(?:\w+\s+){0,2}?"
               r"(?:de|a)\s+(?:los\s+|las\s+)?" + _NUM + r"\s+(?:\w+\s+)?(?:pacientes|personas|pessoas)\b|"
               r"\b(?:sigui[oó]|siguieron|analiz[oó]|evalu[oó]|incluy[oó]|acompanharam|acompanhou|avaliou|avaliaram|"
               r"analisou|"
               r"analisaram|inclu[ií]u)\s+(?:[\w,]+\s+){0,5}?" + _NUM + r"\s+(?:\w+\s+)?(?:personas|pacientes|ni[nñ]os|"
               r"adultos|mujeres|hombres|participantes|pessoas|crian[cç]as|mulheres|homens)\b|"
               r"\bforam\s+(?:avaliados|acompanhados|analisados|inclu[ií]dos)\s+" + _NUM)
# Approvals, events, policy, personal stories and practical guides: news without a study.
_NO_STUDY = (r"\bapprov(?:es|ed|al)\b|\bclears\b|\bauthori[sz](?:es|ed|ation)\b|\breimburs|aprob(?:[oó]|aci[oó]n)|"
             r"\baprov(?:a|ou|am|aram|ado|ada|acao)\b|\baprob(?:aron|ado|ada)\b|\bincorpora(?:cao|do|da|r)\b|"
             r"\bfunding\s+(?:decision|approval)|"
             r"fundrais|take\s+steps|charity\s+walk|walkathon|(?:annual|community|sponsored)\s+walk|\bgala\b|"
             r"\braised\s+(?:about\s+|more\s+than\s+)?\$|awareness\s+(?:day|week|month|campaign)|rais(?:e|"
             r"ing)\s+awareness|"
             r"world\s+ibd\s+day|"
             r"d[ií]a\s+mundial|dia\s+mundial|jornada|convenci[oó]n|webinar|\bstep\s+therapy|\blaw\b|legislat|"
             r"\binsurers?\b|\bley\b|\blei\b|di[aá]rio\s+oficial|"
             # first-person stories
             r"(?<=\bi\s)was\s+diagnosed|(?<=\bi\s)have\s+(?:had\s+)?(?:crohn|colitis|ibd)|i've\s+had|"
             r"\bmy\s+(?:crohn|colitis|gastroenterologist|gi\b|doctor|infusion|diagnosis|experience|story|journey)|"
             r"(?:this|my)\s+blog\b|"
             r"\btips\b|what\s+to\s+know|consejos|\bdicas\b")
# An acronym-named trial ("the GALAXI-2 trial"): case-sensitive, on the unfolded title/text.
_NAMED_TRIAL = (r"\b(?!(?:IBD|EII|DII|FDA|EMA|NHS|USA|SUS|ECCO|DDW|UEGW)\b)"
                r"[A-Z][A-Z0-9]{2,}(?:-[A-Z0-9]+)*\s+(?:trials?|programme|program)\b")
# A title that calls itself a review (after chart reviews and case cues in TITLE_CUES).
_REVIEW_TITLE_STATED = (r"(?:narrative|literature|comprehensive|critical|scoping|clinical|mini-?|brief|"
                        r"state-of-the-art)\s+review|"
                        r":\s*(?:a|an)\s+(?:\w+\s+)?review\b|\breview\s+(?:of\s+the\s+literature|article)|\boverview\b|"
                        r"revisi[oó]n\s+(?:narrativa|de\s+la\s+literatura|bibliogr[aá]fica)|"
                        r"art[ií]culo\s+de\s+revisi[oó]n|"
                        r"revis[aã]o\s+(?:narrativa|da\s+literatura|de\s+literatura|bibliogr[aá]fica)|"
                        r"artigo\s+de\s+revis[aã]o|"
                        # "from randomized controlled trials to real-life evidence", "from bench to bedside"
                        r"\bfrom\s+(?:\w+\s+){0,2}(?:trials?|bench|evidence|research)\s+to\s+(?:\w+[- ]?){1,2}")
# Title words of overviews; weaker than any study cue.
_REVIEW_TITLE = (r"(?<!retrospective\s)(?<!chart\s)(?<!priority\s)(?<!under\s)(?<!peer\s)(?<!regulatory\s)(?<!fda\s)"
                 r"\breview\b|"
                 r"\boverview\b|state[- ]of[- ]the[- ]art|\bupdate\s+on\b|(?<=\ban\s)update\b|recent\s+advances|"
                 r"advances\s+in|"
                 r"current\s+(?:evidence|perspectives|concepts|status|role|management|options)|narrative|"
                 r"where\s+(?:do|are)\s+we|what(?:'s|\s+is)\s+new|(?<=\bis\sit\s)time\b|\bprimer\b|"
                 r"future\s+(?:directions|perspectives)|"
                 r"\bpositioning\b|revisi[oó]n|revis[aã]o|actualizaci[oó]n|atualiza[cç][aã]o|avances\s+en|"
                 r"avan[cç]os\s+n")
# Bracketed reference markers in an abstract: narrative text citing the literature.
_CITATIONS = r"\[\d{1,3}(?:[,\u2013-]\s*\d{1,3})*\]"

# Title: strongest first. A title names its own design; a text also names other studies.
TITLE_CUES: list[tuple[str, str]] = [
    (_MENDELIAN, "other"), (_META, "meta_analysis"), (_SYSREV, "sysrev"), (_RCT, "rct"), (_LETTER_TITLE, "other"),
    (_GUIDELINE_TITLE, "other"),
    (_SERIES, "case_series"), (_TITLE_FEW_CASES, "case_series"), (_CASE, "case_report"), (_CHART_REVIEW, "cohort"),
    (_REVIEW_TITLE_STATED, "review"), (_LAB, "other"), (_NONRANDOM_TRIAL, "cohort"), (_PHASE_TRIAL, "rct"),
    (_COHORT, "cohort"),
]
# Text: own-study statements first; lab/model work before any "randomly assigned" (animals are randomised too).
TEXT_CUES: list[tuple[str, str]] = [
    (_MENDELIAN, "other"), (_META, "meta_analysis"), (_SYSREV, "sysrev"), (_SERIES, "case_series"),
    (_CASE, "case_report"),
    (_LETTER_TEXT, "other"), (_REVIEW_SELF, "review"), (_LAB, "other"), (_RCT_SELF, "rct"), (_RCT, "rct"),
    (_NONRANDOM_TRIAL, "cohort"), (_CHART_REVIEW, "cohort"), (_COHORT, "cohort"), (_PHASE_TRIAL, "rct"),
]
# Weak cues, once no strong cue was found: title and text together, then the title alone.
# "48% ... compared with 29% on placebo": a placebo comparison is a trial's.
_VS_PLACEBO = (r"\b(?:versus|vs\.?|compared\s+with|compared\s+to|than)\s+(?:\d+(?:\.\d+)?%\s+)?"
               r"(?:(?:on|with|of|in|for)\s+)?(?:(?:those|patients|people)\s+(?:on|given|taking|receiving)\s+)?"
               r"(?:a\s+|the\s+)?placebo\b|\bfrente\s+(?:al?\s+)?placebo\b|\bcontra\s+(?:o\s+)?placebo\b|"
               r"\b(?:do\s+que|que)\s+(?:o\s+|el\s+)?placebo\b|\b(?:em\s+)?compara[cç][aã]o\s+(?:com|ao)\s+(?:o\s+)?placebo\b|"
               r"\bcomparad[oa]s?\s+con\s+(?:el\s+)?placebo\b")
WEAK_CUES: list[tuple[str, str]] = [(_VS_PLACEBO, "rct"), (_NEWS_STUDY, "cohort"), (_NO_STUDY, "other")]
WEAK_TITLE_CUES: list[tuple[str, str]] = [(_REVIEW_TITLE, "review")]

# Cue patterns are lower case and run on folded, lower-cased text: without re.I the
# regex engine skips most positions by their first character (about 3x faster).
_FLAGS = re.M


def _syntax(pattern: str) -> Iterator[tuple[int, str]]:
    """(index, character) of a regex's characters outside escapes and [classes]."""
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        else:
            yield i, c
        i += 1


def _alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of a regex (split on | outside groups and classes)."""
    parts, depth, start = [], 0, 0
    for i, c in _syntax(pattern):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return parts + [pattern[start:]]


_LEAD = re.compile(r"^(?:\\b|\^|\(\?<[!=](?:\\.|[^()])*\))+")  # zero-width: \\b, ^, lookbehinds
_LITERAL = re.compile(r"[a-z0-9' :-]+")
_ONE_ASCII = re.compile(r"\[([a-z])[^\x00-\x7f\]]+\]|\[[^\x00-\x7f\]]+([a-z])\]")


def _group_end(pattern: str) -> int:
    """Index of the parenthesis that closes the group opened at pattern[0]."""
    depth = 0
    for i, c in _syntax(pattern):
        if c in "()":
            depth += 1 if c == "(" else -1
            if depth == 0:
                return i
    return len(pattern)


def _literal_starts(alternative: str) -> list[str] | None:
    """Plain texts one of which starts every match of `alternative` (None if unknown)."""
    # Cues run on accent-folded text, where "[oó]" can only match "o".
    body = _ONE_ASCII.sub(lambda m: m.group(1) or m.group(2), _LEAD.sub("", alternative))
    if body.startswith("(?:"):  # a leading group: the starts of its own alternatives
        end = _group_end(body)
        if body[end + 1:end + 2] in ("?", "*", "{"):
            return None
        inner = [_literal_starts(a) for a in _alternatives(body[3:end])]
        return None if None in inner else [s for group in inner if group for s in group]
    m = _LITERAL.match(body)
    if not m:
        return None
    text = m.group()
    if body[m.end():m.end() + 1] in ("?", "*", "{"):  # the last character is optional
        text = text[:-1]
    return [text] if text else None


class _Cue:
    """A compiled cue with a substring pre-check: a regex of many alternatives tries each at
    every position, while `in` finds that none of their literal starts occurs far faster."""

    def __init__(self, pattern: str, flags: int = _FLAGS) -> None:
        self.regex = re.compile(pattern, flags)
        starts = [_literal_starts(a) for a in _alternatives(pattern)]
        self.starts = None if None in starts else tuple(sorted({s for group in starts if group for s in group}))

    def search(self, text: str) -> re.Match | None:
        if self.starts is not None and not any(map(text.__contains__, self.starts)):
            return None
        return self.regex.search(text)


_PUB = [(re.compile(p, re.I), t) for p, t in PUBLICATION_TYPES]
_MESH = [(re.compile(p, re.I), t) for p, t in MESH_DESIGNS]
_TITLE = [(_Cue(p), t) for p, t in TITLE_CUES]
_TEXT = [(_Cue(p), t) for p, t in TEXT_CUES]
_WEAK = [(_Cue(p), t) for p, t in WEAK_CUES]
_WEAK_TITLE = [(_Cue(p), t) for p, t in WEAK_TITLE_CUES]
_POOLED_RE = re.compile(_POOLED)
_NOT_POOLED_RE = re.compile(_NOT_POOLED)
_RANDOMISED_RE = re.compile(_RCT_SELF + "|" + _RCT)
_STATED_RANDOM_RE = re.compile(r"\brandomly\b|were\s+randomi")
_NONRANDOM_RE = re.compile(_NONRANDOM_TRIAL)
_OWN_CASES_RE = re.compile(_SERIES + "|" + _CASE, _FLAGS)
_SERIES_RE = re.compile(_SERIES + "|" + _TITLE_FEW_CASES, _FLAGS)
_NAMED_TRIAL_RE = re.compile(_NAMED_TRIAL)  # case-sensitive: runs on the unlowered text
_CITATIONS_RE = re.compile(_CITATIONS)
_TEXT_SPAN = 4000  # design is stated early; deep body text cites other studies


def _prep(text: str | None) -> str:
    return fold(text).lower() if text else ""


def from_publication_types(types: list[str], text: str = "") -> str | None:
    """Registry publication types; `text` (title + abstract) settles the types that need it."""
    joined = [t.strip().lower() for t in types if t]
    for pattern, kind in _PUB:
        if any(pattern.search(t) for t in joined):
            return _settle(kind, _prep(text[:_TEXT_SPAN]))
    return None


def _settle(kind: str, text: str) -> str | None:
    if kind == "sysrev":
        return _pooled_or_not(text)
    if kind == "trial":
        # Precedence: stated randomisation > stated single-arm/non-randomised > nothing said.
        if _NONRANDOM_RE.search(text) and not _STATED_RANDOM_RE.search(text):
            return "cohort"
        return "rct" if _RANDOMISED_RE.search(text) else "cohort"
    if kind == "letter":
        found = _OWN_CASES_RE.search(text)
        if found:
            return "case_series" if _SERIES_RE.search(text) else "case_report"
        return "other"
    if kind == "case_report" and _SERIES_RE.search(text):
        return "case_series"
    return kind


def _pooled_or_not(text: str) -> str:
    """A systematic review that pooled results is a meta-analysis; one that did not is a review."""
    if _NOT_POOLED_RE.search(text):
        return "review"
    return "meta_analysis" if _POOLED_RE.search(text) else "review"


def from_mesh(keywords: list[str]) -> str | None:
    for pattern, kind in _MESH:
        if any(pattern.search(k.strip()) for k in keywords if k):
            return kind
    return None


def from_text(title: str | None, text: str | None) -> str | None:
    """Strong design cues in the title first, then in the first part of the abstract/body."""
    folded_text = _prep(text[:_TEXT_SPAN]) if text else ""
    for source, cues in ((_prep(title), _TITLE), (folded_text, _TEXT)):
        if not source:
            continue
        for pattern, kind in cues:
            if pattern.search(source):
                return _pooled_or_not(folded_text) if kind == "sysrev" else kind
    return None


def weak_cues(title: str | None, text: str | None, abstract: bool = False) -> str | None:
    """Cues too loose to beat a stated design: news reporting a study, news without one, overview titles.

    `abstract` says `text` is a scholarly abstract, where reference markers mean a narrative overview.
    """
    head = text[:_TEXT_SPAN] if text else ""
    both = fold("\n".join(p for p in (title, head) if p))
    if not both:
        return None
    if _NAMED_TRIAL_RE.search(both):
        return "rct"
    lowered = both.lower()
    for pattern, kind in _WEAK:
        if kind == "other" and abstract:
            continue   # approvals and events are news; an abstract's "was approved" sets its background
        if pattern.search(lowered):
            return kind
    lowered_title = _prep(title)
    for pattern, kind in _WEAK_TITLE:
        if pattern.search(lowered_title):
            return kind
    if abstract and _CITATIONS_RE.search(head):
        return "review"
    return None


def fallback(count: int | None) -> str:
    """Nothing said the design: counted patients are an observational study, else other."""
    return "cohort" if count is not None and count > 1 else "other"


def split_case_type(kind: str | None, count: int | None) -> str | None:
    """case_report is one patient, case_series more, whichever the cue said."""
    if kind in ("case_report", "case_series") and count is not None:
        return "case_report" if count <= 1 else "case_series"
    return kind
