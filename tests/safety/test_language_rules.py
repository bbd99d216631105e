"""Spanish, French, German and Portuguese rules: each kind of risk they cover, and the
look-alikes that must stay low. Written by hand, not taken from the evaluation data."""

import pytest

from safety.classifier import AssessmentContext, Level
from safety.classifier import assess as rules_assess
from safety.classifier.language import guess_language


def level(text: str, language: str) -> Level:
    return rules_assess(text, AssessmentContext(language=language)).level


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # passive ideation
        ("ojala no despertara nunca", "es"),
        ("a veces quisiera desaparecer y ya", "es"),
        ("j'aimerais ne plus me réveiller demain", "fr"),
        ("je suis fatigué de vivre comme ça", "fr"),
        ("wünschte ich würde morgens nicht mehr aufwachen", "de"),
        ("ich bin so müde vom leben", "de"),
        ("queria sumir de vez", "pt"),
        ("tô cansada de viver assim", "pt"),
        # self-harm now, urges, relapse, concealment
        ("anoche recai y me corte otra vez", "es"),
        ("uso manga larga para que nadie vea", "es"),
        ("je me suis encore coupée hier soir", "fr"),
        ("je mets des manches longues pour cacher mes bras", "fr"),
        ("der drang ist so stark heute", "de"),
        ("trage lange ärmel damit es keiner sieht", "de"),
        ("voltei a me cortar essa semana", "pt"),
        ("escondo as marcas com moletom", "pt"),
        ("je me suis recoupée après trois mois", "fr"),
        ("no puedo dejar de cortarme", "es"),
        ("kann nicht aufhören mich zu ritzen", "de"),
        ("ich will morgen früh nicht mehr aufwachen", "de"),
        ("não queria acordar mais", "pt"),
        ("pq no me muero y ya", "es"),
        ("hab kb mehr auf leben", "de"),
        ("will vllt einfach nicht mehr leben", "de"),
        # someone else at risk
        ("mi prima me dijo que se quiere matar", "es"),
        ("mon frère m'a dit qu'il veut mourir", "fr"),
        ("meine schwester will sich umbringen", "de"),
        ("meu irmão falou que quer se matar", "pt"),
        # current abuse of the writer, a minor abused
        ("mi novio me golpea cuando se enoja", "es"),
        ("mon mari me frappe tous les soirs", "fr"),
        ("mein stiefvater schlägt mich jeden tag", "de"),
        ("meu padrasto me bate, tenho 11 anos", "pt"),
        # harm to others
        ("tengo ganas de matar a mi jefe", "es"),
        ("j'ai envie de faire du mal à mon patron", "fr"),
        ("will meinen bruder umbringen", "de"),
        ("quero matar o meu chefe", "pt"),
        ("quiero que mi padrastro sufra", "es"),
        ("je veux qu'il crève", "fr"),
        ("sueño con apuñalar a mi jefe", "es"),
        ("mein onkel fasst mich an, ich bin 10", "de"),
    ],
)
def test_elevated_kinds_reach_at_least_elevated(text, language):
    assert level(text, language) >= Level.ELEVATED


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # attempts by act and means
        ("me tome 25 pastillas de clonazepam", "es"),
        ("j'ai avalé toute la plaquette de doliprane", "fr"),
        ("hab 20 schlaftabletten geschluckt", "de"),
        ("tomei a cartela inteira de rivotril", "pt"),
        # plans with a time
        ("mañana me tiro del puente", "es"),
        ("ce soir je me tue", "fr"),
        ("morgen bringe ich mich um", "de"),
        ("hoje a noite eu me mato", "pt"),
        ("me voy a colgar, ya no aguanto", "es"),
        ("je me jette du toit ce soir", "fr"),
        ("ich springe morgen von der brücke", "de"),
        ("bring mich heut nacht um", "de"),
        # preparation and farewells
        ("ya deje una carta para mi hermano y regale mis cosas", "es"),
        ("dites à mon père que ce n'était pas sa faute", "fr"),
        ("hab meine katze zu meiner tante gebracht und den abschiedsbrief geschrieben", "de"),
        ("digam pra minha mãe que eu sinto muito", "pt"),
        # abuse with the danger there now
        ("está golpeando la puerta y me encerré en el baño, tiene un cuchillo", "es"),
        ("il défonce la porte, je suis cachée dans la chambre", "fr"),
        ("er tritt gegen die tür, ich habe mich eingeschlossen", "de"),
        ("er tritt die tür ein und hat ein messer", "de"),
    ],
)
def test_imminent_kinds_are_imminent(text, language):
    assert level(text, language) == Level.IMMINENT


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("me quiero morir de la risa con ese video", "es"),
        ("me corte el dedo pelando papas", "es"),
        ("estoy en el puente sacando fotos del atardecer", "es"),
        ("les partiels me tuent cette semaine", "fr"),
        ("on est sur le toit pour voir le feu d'artifice", "fr"),
        ("je me suis coupé le doigt en cuisinant", "fr"),
        ("ich warte auf der brücke auf meinen freund", "de"),
        ("meine mama bringt mich um wenn ich zu spät komme", "de"),
        ("fui pescar na ponte com meu tio", "pt"),
        ("essa prova tá me matando", "pt"),
        ("me cortei fazendo a barba", "pt"),
        ("tô no terraço tomando sol com as amigas", "pt"),
        ("on est sur le toit à bronzer avec les copines", "fr"),
        ("vamos a matar al otro equipo en la final", "es"),
        ("meu ex me batia mas me separei faz seis anos", "pt"),
        # one tablet for a headache, an ordinary goodbye
        ("me tome una aspirina para la fiebre", "es"),
        ("tomei um paracetamol agora há pouco", "pt"),
        ("j'ai pris un doliprane ce matin", "fr"),
        ("hab eine tablette gegen migräne genommen", "de"),
        ("gracias, ya estoy mejor. adiós, hasta mañana", "es"),
        ("merci pour tout, adieu la grisaille, bonne nuit", "fr"),
    ],
)
def test_look_alikes_stay_below_elevated(text, language):
    assert level(text, language) < Level.ELEVATED


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("antes me cortaba, ya no lo hago desde hace dos años", "es"),
        ("mi ex me pegaba, pero lo deje hace tres años", "es"),
        ("je me scarifiais quand j'étais ado", "fr"),
        ("mein ex hat mich geschlagen, das ist vier jahre her", "de"),
        ("não, não vou me machucar, só estou cansada", "pt"),
        ("vor jahren hab ich mich geritzt, heute geht es mir gut", "de"),
        ("me cortaba en el colegio, ya lo superé", "es"),
    ],
)
def test_past_negated_and_over_are_at_most_distress(text, language):
    assert level(text, language) <= Level.DISTRESS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("q ganas de dormir", "es"),
        ("mdr jsuis trop nul", "fr"),
        ("vllt morgen einfach", "de"),
        ("vc vem hj?", "pt"),
        ("hab grad alle tabletten genommen", "de"),
        ("see you tomorrow at the party", "en"),
    ],
)
def test_texting_spellings_tell_the_language(text, expected):
    assert guess_language(text) == expected


def test_a_texted_message_in_an_english_chat_is_screened_with_its_language():
    # the chat's language is the default ("en"): the guess adds the Spanish rules
    assert rules_assess("q ganas de desaparecer pa siempre").level >= Level.ELEVATED
