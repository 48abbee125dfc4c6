"""The layering check of `make lint` (checks/layers.py) holds on the code and catches a break."""
from checks import layers


def test_the_code_has_no_wrong_way_import_and_no_circle():
    assert layers.check() == []


def test_a_wrong_way_import_is_reported():
    graph = layers.build_graph()
    graph.add_import(importer="office.kit.base", imported="office.views.menu")
    graph.add_import(importer="office.services.tasks", imported="office.views.tasks")
    graph.add_import(importer="office.models.compound", imported="office.scope")
    problems = layers.check(graph)
    assert any(p.startswith("office.kit.base imports office.views.menu") for p in problems)
    assert any(p.startswith("office.services.tasks imports office.views.tasks") for p in problems)
    assert any(p.startswith("office.models.compound imports office.scope") for p in problems)


def test_a_circle_is_reported():
    graph = layers.build_graph()
    graph.add_import(importer="office.demo.base", imported="office.demo.seed")
    problems = layers.check(graph)
    assert any(p.startswith("import circle:") and "office.demo.seed" in p for p in problems)
