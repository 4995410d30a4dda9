"""`manage.py serve` (what `make run` starts) hands out the pages' stylesheets and scripts itself."""
from django.test import RequestFactory, override_settings

from engine.management.commands.serve import Command


@override_settings(DEBUG=True)
def test_serve_hands_out_the_stylesheet_while_debugging():
    handler = Command().get_handler(use_static_handler=True, insecure_serving=False)
    response = handler.serve(RequestFactory().get("/static/webui/css/app.css"))
    assert response.status_code == 200
