"""SCORM 1.2 export: a manifest valid against the SCORM 1.2 schemas, a SCO per self-paced module, nothing unlisted."""

from __future__ import annotations

import pytest
from lxml import etree

from authoring.export import scorm12
from export_support import SCHEMAS, exported, members  # noqa: F401 (exported is a fixture)

NS = {"cp": scorm12.IMSCP, "adlcp": scorm12.ADLCP, "md": scorm12.IMSMD}


class _XmlNamespaceSchema(etree.Resolver):
    """Serve ims_xml.xsd without its ``xmlns`` for the xml: namespace, which libxml2 now refuses to be a default.

    The declaration names nothing the schema uses (its types are all ``xsd:``), so the schema means the same.
    """

    def resolve(self, url, pubid, context):
        if url.endswith("ims_xml.xsd"):
            text = (SCHEMAS / "scorm12" / "ims_xml.xsd").read_text(encoding="utf-8-sig")
            return self.resolve_string(text.replace(' xmlns="http://www.w3.org/XML/1998/namespace"', "", 1), context)
        return None


@pytest.fixture(scope="module")
def schema():
    """The three schemas a SCORM 1.2 manifest uses, through one that imports them (they import ims_xml.xsd)."""
    folder = SCHEMAS / "scorm12"
    imports = "".join(f'<xs:import namespace="{namespace}" schemaLocation="{(folder / name).as_uri()}"/>'
                      for namespace, name in ((scorm12.IMSCP, "imscp_rootv1p1p2.xsd"),
                                              (scorm12.ADLCP, "adlcp_rootv1p2.xsd"),
                                              (scorm12.IMSMD, "imsmd_rootv1p2p1.xsd")))
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    parser = etree.XMLParser()
    parser.resolvers.add(_XmlNamespaceSchema())
    return etree.XMLSchema(etree.fromstring(driver.encode(), parser, base_url=folder.as_uri() + "/"))


def manifest(path):
    files = members(path)
    return files, etree.fromstring(files[scorm12.MANIFEST])


def test_every_language_has_a_manifest_valid_against_the_scorm_schemas(exported, schema):
    assert sorted(exported["scorm12"]) == ["ar", "en", "es", "fr", "ru"]
    for language, path in exported["scorm12"].items():
        _, document = manifest(path)
        schema.assertValid(document)
        assert document.findtext("cp:metadata/cp:schema", namespaces=NS) == "ADL SCORM"
        assert document.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "1.2"
        assert document.xpath("//md:langstring/@xml:lang", namespaces=NS) == [language, language]


@pytest.mark.parametrize("break_it", [
    lambda d: d.xpath("//cp:resource", namespaces=NS)[0].set(f"{{{scorm12.ADLCP}}}scormtype", "lesson"),
    lambda d: d.xpath("//cp:item", namespaces=NS)[0].attrib.pop("identifier"),
    lambda d: d.remove(d.find("cp:resources", namespaces=NS)),
])
def test_the_schemas_refuse_a_manifest_they_should(exported, schema, break_it):
    _, document = manifest(exported["scorm12"]["en"])
    break_it(document)
    assert not schema.validate(document)


def test_a_sco_per_self_paced_module_with_its_mastery_score(exported):
    files, document = manifest(exported["scorm12"]["en"])
    items = document.xpath("//cp:organization/cp:item", namespaces=NS)
    assert [i.get("identifier") for i in items] == ["ITEM-consular-crisis-response", "ITEM-registration-contingency",
                                                     "ITEM-families-and-media", "ITEM-migrants-in-crisis"]
    mastery = {i.get("identifier"): i.findtext("adlcp:masteryscore", namespaces=NS) for i in items}
    assert mastery["ITEM-consular-crisis-response"] == "70" and mastery["ITEM-families-and-media"] is None
    assert mastery["ITEM-migrants-in-crisis"] is None  # its quiz is graded on the server only: not in the SCO
    resources = {r.get("identifier"): r for r in document.xpath("//cp:resource", namespaces=NS)}
    for item in items:
        sco = resources[item.get("identifierref")]
        assert sco.get(f"{{{scorm12.ADLCP}}}scormtype") == "sco" and sco.get("href") in files
        assert sco.find("cp:dependency", namespaces=NS).get("identifierref") in resources


def test_every_file_is_listed_and_every_listed_file_is_there(exported):
    files, document = manifest(exported["scorm12"]["fr"])
    listed = set(document.xpath("//cp:file/@href", namespaces=NS))
    assert listed == set(files) - {scorm12.MANIFEST}
    assert any(name.startswith("languages/fr/modules/") for name in listed)
    assert not any(name.startswith("modules/") for name in listed)


def test_identifiers_are_xml_names_whatever_the_slug():
    assert scorm12.identifier("RES", "module+2") == "RES-module_2"
