# -*- coding: utf-8 -*-
"""The hub's branding (dsaas.platform.jupyterhub_branding) against the real things it is written for:

* the module itself, run by ansible ad hoc (valid input, and every kind of bad input: one line, no values);
* the z2jh 4.4 values schema (``../shared/contracts/z2jh``), over the chart's own values.yaml;
* a real JupyterHub 5.5.0 process from the lab's hub runtime (``lab/lab up jupyterhub``) configured
  from the values as z2jh does it (tests/integration/hubs.py with lab/hub/jupyterhub_config.py:
  ``hub.extraFiles`` written to their mountPath, ``hub.templatePaths``, ``hub.templateVars``,
  ``hub.config``): its own template loader renders the login page, the home page (a template override
  from the ``templates`` option) and an error page, and it serves the logo at /hub/logo.

The sample logo is the lab's, inventories/lab/files/branding/logo.svg.
"""
import base64
import copy
import json
import os
import re
import subprocess

import pytest
import requests
import yaml

from conftest import ROOT, require_lab, run_module, run_playbook, z2jh_contract
from hubs import Hub, hub_runtime

from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_branding import (
    JUPYTERHUB_VERSION,
    read_logo,
    render_branding,
)
from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import merge_values, schema_errors

LOGO = os.path.join(ROOT, 'inventories', 'lab', 'files', 'branding', 'logo.svg')
MODULE = 'dsaas.platform.jupyterhub_branding'

HOME = '''{% extends "templates/home.html" %}
{% block main %}
  <div id="dsaas-notice" class="container alert alert-info">Maintenance on {{ dsaas_branding.product_name }}</div>
  {{ super() }}
{% endblock main %}
'''

ARGS = {
    'product_name': 'DSaaS Lab <Platform>',
    'logo_path': LOGO,
    'primary_colour': '#005A9C',
    'login_heading': 'Data Science Platform of the Lab Hospital',
    'login_message': 'Sign in with your lab account.\nHelp: servicedesk@lab.dsaas.test',
    'footer_links': [{'title': 'Imprint', 'url': 'https://www.lab.dsaas.test/imprint'},
                     {'title': 'Privacy & data protection', 'url': '/privacy'}],
    'custom_css': '.dsaas-footer > ul { letter-spacing: 0.02em; }',
    'templates': {'home.html': HOME},
}


def rendered(files_dir=None, **overrides):
    args = dict(copy.deepcopy(ARGS), **overrides)
    logo = read_logo(args.pop('logo_path'))
    if files_dir:
        args['files_dir'] = files_dir
    return render_branding(logo=logo, **args)


# --------------------------------------------------------------------------- the module, ad hoc ---

def module(args, *options):
    """run_module with the template texts in {% raw %}: Ansible evaluates Jinja in task arguments (an operator
    marks them !unsafe or reads them with the file lookup, see test_playbook_passes_templates_as_written)."""
    args = copy.deepcopy(args)
    args['templates'] = dict((name, '{%% raw %%}%s{%% endraw %%}' % text)
                             for name, text in args.get('templates', {}).items())
    return run_module(MODULE, args, *options)


def test_module_renders_in_check_mode():
    run = module(ARGS, '--check')
    assert not run.failed, run.output
    assert run.result['changed'] is False
    assert run.result['z2jh_values'] == json.loads(json.dumps(rendered()))
    extra_files = run.result['z2jh_values']['hub']['extraFiles']
    # the template text arrives as written (not evaluated by Ansible on the way)
    assert extra_files['dsaas-branding-home.html']['stringData'] == HOME
    with open(LOGO, 'rb') as handle:
        assert base64.b64decode(extra_files['dsaas-branding-logo']['binaryData']) == handle.read()


def refused(tmp_path, **overrides):
    args = dict(copy.deepcopy(ARGS), **overrides)
    run = module(args)
    assert run.failed, run.output
    assert 'z2jh_values' not in run.result
    assert '\n' not in run.msg
    return run.msg


def test_module_refuses_a_logo_that_is_not_an_image(tmp_path):
    fake = tmp_path / 'logo.png'
    fake.write_bytes(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
    assert refused(tmp_path, logo_path=str(fake)) == (
        "logo_path '%s' is not a PNG, JPEG, GIF, WebP or SVG image (it starts with %r)"
        % (fake, b'%PDF-1.7'))


def test_module_refuses_an_svg_with_a_script(tmp_path):
    svg = tmp_path / 'logo.svg'
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>')
    assert 'the SVG contains <script>' in refused(tmp_path, logo_path=str(svg))


def test_module_refuses_a_logo_over_the_limit(tmp_path):
    message = refused(tmp_path, logo_max_bytes=512)
    assert message == "logo_path '%s' is 0.6 KiB (%d bytes), more than logo_max_bytes 512 (0.5 KiB)" % (
        LOGO, os.path.getsize(LOGO))


def test_module_refuses_a_syntax_error(tmp_path):
    message = refused(tmp_path, templates={'home.html': '{% extends "templates/home.html" %}\n'
                                                        '{% block main %}\n{{ super() }\n{% endblock %}\n'})
    assert message.startswith("templates['home.html'] line 3: syntax error: ")


def test_module_refuses_an_unknown_block(tmp_path):
    message = refused(tmp_path, templates={
        'login.html': '{% extends "templates/login.html" %}{% block login_containr %}x{% endblock %}'})
    assert message.startswith("templates['login.html']: block 'login_containr' is not in templates/login.html "
                              "(JupyterHub %s); did you mean 'login_container'?; its blocks are: " % JUPYTERHUB_VERSION)
    assert 'login_container, login_terms' in message


def test_module_refuses_a_bad_colour(tmp_path):
    assert refused(tmp_path, primary_colour='#05a9c') == (
        "primary_colour: '#05a9c' is not a colour (use #rgb or #rrggbb, like #005a9c)")


def test_module_refuses_a_bad_link(tmp_path):
    message = refused(tmp_path, footer_links=[{'title': 'Imprint', 'url': 'javascript:alert(1)'}])
    assert message == ("footer_links[0].url 'javascript:alert(1)' scheme 'javascript' is not http or https "
                       "(use https://host/path or /path)")


@pytest.mark.parametrize('overrides, word', [
    ({'primary_colur': '#fff'}, 'primary_colur'),
    ({'footer_links': [{'title': 'Imprint', 'url': '/imprint', 'href': '/imprint'}]}, 'href'),
])
def test_module_refuses_unknown_keys(tmp_path, overrides, word):
    args = dict(copy.deepcopy(ARGS), **overrides)
    if 'footer_links' not in overrides:
        args.pop('primary_colour')
    run = module(args)
    assert run.failed and word in run.msg and 'z2jh_values' not in run.result


def test_module_checks_against_another_hubs_templates(tmp_path):
    (tmp_path / 'page.html').write_text('{% block title %}{% endblock %}{% block stylesheet %}{% endblock %}'
                                        '{% block footer %}{% endblock %}')
    (tmp_path / 'login.html').write_text('{% extends "page.html" %}{% block login %}{% endblock %}')
    message = refused(tmp_path, jupyterhub_templates_dir=str(tmp_path), templates={})
    assert message.startswith("templates['login.html']: block 'login_container' is not in templates/login.html "
                              "(jupyterhub_templates_dir)")


PLAYBOOK = r'''
- name: Render the branding as an operator writes it
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Render
      dsaas.platform.jupyterhub_branding:
        product_name: DSaaS Lab
        templates:
          home.html: "{{ lookup('ansible.builtin.file', branding_dir ~ '/home.html') }}"
          spawn.html: !unsafe |
            {% extends "templates/spawn.html" %}
            {% block heading %}<h1>{{ dsaas_branding.product_name }}: choose a profile</h1>{% endblock %}
      register: branding

    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ branding.z2jh_values | to_json }}"
        dest: "{{ branding_dir }}/values.json"
        mode: "0600"
'''


def test_playbook_passes_templates_as_written(tmp_path):
    (tmp_path / 'home.html').write_text(HOME)
    playbook = tmp_path / 'branding.yml'
    playbook.write_text(PLAYBOOK)
    run = run_playbook(str(playbook), {'branding_dir': str(tmp_path)})
    assert run.rc == 0, run.output
    assert run.recap()['changed'] == '1'  # the copy; the module itself never changes anything
    extra_files = json.loads((tmp_path / 'values.json').read_text())['hub']['extraFiles']
    assert extra_files['dsaas-branding-home.html']['stringData'].rstrip('\n') == HOME.rstrip('\n')
    assert extra_files['dsaas-branding-spawn.html']['stringData'] == (
        '{% extends "templates/spawn.html" %}\n'
        '{% block heading %}<h1>{{ dsaas_branding.product_name }}: choose a profile</h1>{% endblock %}\n')


# ------------------------------------------------------------------------------ the chart schema ---

def test_values_validate_against_the_z2jh_schema():
    chart_values, schema = z2jh_contract()
    values = yaml.safe_load(yaml.safe_dump(rendered()))  # as helm gets it
    assert schema_errors(merge_values(chart_values, values), schema) == []
    # the schema does tell a bad extraFiles entry (both stringData and binaryData) from a good one
    bad = merge_values(values, {'hub': {'extraFiles': {'dsaas-branding-logo': {'stringData': 'x'}}}})
    assert schema_errors(merge_values(chart_values, bad), schema)


def test_extra_file_keys_are_secret_keys():
    # z2jh puts every hub.extraFiles entry into the hub Secret under its key (and mounts it by subPath)
    for key in rendered()['hub']['extraFiles']:
        assert re.match(r'^[-._a-zA-Z0-9]+$', key) and len(key) <= 253


# ------------------------------------------------------------------ a real JupyterHub renders it ---

@pytest.fixture(scope='module')
def hub(tmp_path_factory):
    require_lab('jupyterhub')
    runtime = hub_runtime()
    version = subprocess.run([runtime['DSAAS_HUB_JUPYTERHUB'], '--version'], capture_output=True, text=True,
                             check=False).stdout.strip()
    if version != JUPYTERHUB_VERSION:
        pytest.skip('the lab hub runtime has JupyterHub %r, not %s' % (version, JUPYTERHUB_VERSION))
    # the module's output as it is (files_dir in the hub container: the lab's hub puts the extraFiles under its
    # directory and reads the paths there), on the chart's dummy authenticator letting everyone in
    run = module(ARGS)
    assert not run.failed, run.output
    values = merge_values(run.result['z2jh_values'], {'hub': {'config': {'Authenticator': {'allow_all': True}}}})
    hub = Hub(runtime, tmp_path_factory.mktemp('branding-hub'), values)
    yield hub
    hub.stop()


def test_login_page_is_branded(hub):
    page = requests.get(hub.url + '/hub/login', timeout=30)
    assert page.status_code == 200, hub.log()[-4000:]
    html = page.text
    assert '<title>DSaaS Lab &lt;Platform&gt;</title>' in html  # escaped by the hub's autoescaping
    assert '<h1 class="dsaas-login-heading">Data Science Platform of the Lab Hospital</h1>' in html
    assert ('<p class="dsaas-login-message">Sign in with your lab account.\nHelp: servicedesk@lab.dsaas.test</p>'
            in html)
    assert '<a href="https://www.lab.dsaas.test/imprint">Imprint</a>' in html
    assert '<a href="/privacy">Privacy &amp; data protection</a>' in html
    assert "<img src='/hub/logo'" in html  # the stock logo block, now showing JupyterHub.logo_file
    assert '--dsaas-primary: #005a9c;' in html and '--dsaas-on-primary: #ffffff;' in html
    assert '.dsaas-footer > ul { letter-spacing: 0.02em; }' in html  # custom CSS unescaped inside <style>
    # still the stock login form underneath, heading before it
    assert html.index('dsaas-login-heading') < html.index('name="_xsrf"') < html.index('id="login_submit"')
    assert 'css/style.min.css' in html  # super() of the stylesheet block


def test_logo_is_served(hub):
    response = requests.get(hub.url + '/hub/logo', timeout=30)
    assert response.status_code == 200
    assert response.headers['Content-Type'].startswith('image/svg+xml')
    with open(LOGO, 'rb') as handle:
        assert response.content == handle.read()


def test_other_pages_get_the_page_branding(hub):
    session, response = hub.login('ada', 'x')
    assert response.status_code == 302, response.text
    home = session.get(hub.url + '/hub/home', timeout=30)
    assert home.status_code == 200, hub.log()[-4000:]
    # the home.html override (templates option) with the stock page underneath, and page.html's footer
    assert 'id="dsaas-notice"' in home.text and 'Maintenance on DSaaS Lab &lt;Platform&gt;' in home.text
    assert 'id="start"' in home.text or 'Start My Server' in home.text
    assert '<a href="https://www.lab.dsaas.test/imprint">Imprint</a>' in home.text
    # a stock error page (error.html extends page.html: ours)
    missing = session.get(hub.url + '/hub/no-such-page', timeout=30)
    assert missing.status_code == 404
    assert '<title>DSaaS Lab &lt;Platform&gt;</title>' in missing.text
    assert '<a href="/privacy">Privacy &amp; data protection</a>' in missing.text
