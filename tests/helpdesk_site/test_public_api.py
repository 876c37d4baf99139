"""The project package (helpdesk/) uses Django's and django-csp's public API only: no
undocumented module, no private attribute of another library's object."""

from __future__ import annotations

import ast
import re

import pytest
from django.conf import settings

UNDOCUMENTED_MODULES = ("django.http.request", "django.core.handlers.exception",
                        "django.core.handlers.base")
# Private attributes of Django's handlers and django-csp's requests/responses.
PRIVATE_ATTRIBUTE = re.compile(r"^_(csp_\w*|middleware_chain|get_response|view_middleware|"
                               r"template_response_middleware|exception_middleware)$")
MODULES = sorted((settings.BASE_DIR / "helpdesk").glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_private_api(path):
    tree = ast.parse(path.read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert imported & set(UNDOCUMENTED_MODULES) == set()
    private = {node.attr for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and PRIVATE_ATTRIBUTE.match(node.attr)}
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
               and isinstance(node.value, str) and PRIVATE_ATTRIBUTE.match(node.value)}
    assert private | strings == set()
