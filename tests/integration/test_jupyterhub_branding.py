# -*- coding: utf-8 -*-
"""The hub's branding (dsaas.platform.jupyterhub_branding) against the real things it is written for:

* the module itself, run by ansible ad hoc (valid input, and every kind of bad input: one line, no values);
* the z2jh 4.4 values schema (``../shared/contracts/z2jh``), over the chart's own values.yaml;
* a real JupyterHub 5.5.0 process from the lab's hub runtime (``lab/lab up jupyterhub``) configured
  from the values as z2jh does it (``hub.extraFiles`` written to their mountPath, ``hub.templatePaths``,
  ``hub.templateVars``, ``hub.config``): its own template loader renders the login page, the home page
  (a template override from the ``templates`` option) and an error page, and it serves the logo at
  /hub/logo.

The sample logo is the lab's, inventories/lab/files/branding/logo.svg.
"""
import base64
import copy
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import yaml

from conftest import ROOT, lab_env, require_lab, run_module, run_playbook

from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_branding import (
    JUPYTERHUB_VERSION,
    read_logo,
    render_branding,
)

CONTRACTS = os.path.join(os.path.dirname(ROOT), 'shared', 'contracts', 'z2jh')
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


def merge(base, extra):
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


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
    jsonschema = pytest.importorskip('jsonschema')
    if not os.path.isdir(CONTRACTS):
        pytest.skip('%s is absent' % CONTRACTS)
    with open(os.path.join(CONTRACTS, 'values.schema.yaml')) as handle:
        schema = yaml.safe_load(handle)
    with open(os.path.join(CONTRACTS, 'values.yaml')) as handle:
        chart_values = yaml.safe_load(handle)
    values = yaml.safe_load(yaml.safe_dump(rendered()))  # as helm gets it
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = ['%s: %s' % ('.'.join(str(p) for p in error.absolute_path), error.message)
              for error in validator.iter_errors(merge(chart_values, values))]
    assert errors == []
    # the schema does tell a bad extraFiles entry (both stringData and binaryData) from a good one
    bad = merge(values, {'hub': {'extraFiles': {'dsaas-branding-logo': {'stringData': 'x'}}}})
    assert list(validator.iter_errors(merge(chart_values, bad)))


def test_extra_file_keys_are_secret_keys():
    # z2jh puts every hub.extraFiles entry into the hub Secret under its key (and mounts it by subPath)
    for key in rendered()['hub']['extraFiles']:
        assert re.match(r'^[-._a-zA-Z0-9]+$', key) and len(key) <= 253


# ------------------------------------------------------------------ a real JupyterHub renders it ---

# What z2jh's jupyterhub_config.py (chart 4.4.0) does with the values this module renders:
# hub.templatePaths / hub.templateVars -> JupyterHub.template_paths / template_vars, hub.config -> c;
# the chart mounts hub.extraFiles at their mountPath (done by the test). Loopback stand-ins for the rest.
HUB_CONFIG = r'''
import json
import os

with open(os.environ["DSAAS_HUB_VALUES"]) as f:
    _hub = json.load(f)["hub"]

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["DSAAS_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["DSAAS_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:" + os.environ["DSAAS_HUB_PROXY_API_PORT"]
c.ConfigurableHTTPProxy.command = [os.environ["DSAAS_HUB_CHP"]]
c.JupyterHub.db_url = "sqlite:///" + os.path.join(os.environ["DSAAS_HUB_DIR"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(os.environ["DSAAS_HUB_DIR"], "cookie_secret")
c.JupyterHub.cleanup_servers = False
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True

if _hub.get("templatePaths") is not None:
    c.JupyterHub.template_paths = _hub["templatePaths"]
if _hub.get("templateVars") is not None:
    c.JupyterHub.template_vars = _hub["templateVars"]
for app, cfg in _hub.get("config", {}).items():
    c[app].update(cfg)
'''


def free_ports(count):
    sockets = [socket.socket() for dummy in range(count)]
    try:
        for sock in sockets:
            sock.bind(('127.0.0.1', 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def write_extra_files(hub_values):
    """What the chart does with hub.extraFiles: each one at its mountPath."""
    for entry in hub_values['extraFiles'].values():
        os.makedirs(os.path.dirname(entry['mountPath']), exist_ok=True)
        data = base64.b64decode(entry['binaryData']) if 'binaryData' in entry else entry['stringData'].encode()
        with open(entry['mountPath'], 'wb') as handle:
            handle.write(data)


@pytest.fixture(scope='module')
def hub(tmp_path_factory):
    require_lab('jupyterhub')
    runtime = lab_env('jupyterhub')
    for key in ('DSAAS_HUB_JUPYTERHUB', 'DSAAS_HUB_CHP'):
        if not os.access(runtime.get(key, ''), os.X_OK):
            pytest.skip('lab jupyterhub runtime incomplete (%s): lab/lab up jupyterhub' % key)
    version = subprocess.run([runtime['DSAAS_HUB_JUPYTERHUB'], '--version'], capture_output=True, text=True,
                             check=False).stdout.strip()
    if version != JUPYTERHUB_VERSION:
        pytest.skip('the lab hub runtime has JupyterHub %r, not %s' % (version, JUPYTERHUB_VERSION))
    requests = pytest.importorskip('requests')

    workdir = str(tmp_path_factory.mktemp('branding-hub'))
    # the module's output, with the hub container's directory moved into the test's
    run = module(dict(copy.deepcopy(ARGS), files_dir=os.path.join(workdir, 'share', 'dsaas')))
    assert not run.failed, run.output
    values = run.result['z2jh_values']
    write_extra_files(values['hub'])
    with open(os.path.join(workdir, 'values.json'), 'w') as handle:
        json.dump(values, handle)
    with open(os.path.join(workdir, 'jupyterhub_config.py'), 'w') as handle:
        handle.write(HUB_CONFIG)

    port, api_port, proxy_api_port = free_ports(3)
    url = 'http://127.0.0.1:%d' % port
    env = dict(os.environ, DSAAS_HUB_VALUES=os.path.join(workdir, 'values.json'), DSAAS_HUB_DIR=workdir,
               DSAAS_HUB_PORT=str(port), DSAAS_HUB_API_PORT=str(api_port),
               DSAAS_HUB_PROXY_API_PORT=str(proxy_api_port), DSAAS_HUB_CHP=runtime['DSAAS_HUB_CHP'])
    env.pop('CONFIGPROXY_AUTH_TOKEN', None)
    log_file = os.path.join(workdir, 'jupyterhub.log')
    with open(log_file, 'w') as log_handle:
        process = subprocess.Popen([runtime['DSAAS_HUB_JUPYTERHUB'], '-f', 'jupyterhub_config.py'], cwd=workdir,
                                   env=env, stdout=log_handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)

    def log():
        with open(log_file) as handle:
            return handle.read()[-4000:]

    def stop():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the hub and the proxy it started, nothing else
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise AssertionError('jupyterhub exited with %s:\n%s' % (process.returncode, log()))
        try:
            if requests.get(url + '/hub/api', timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop()
            raise AssertionError('jupyterhub did not answer on %s within 90 s:\n%s' % (url, log()))
        time.sleep(0.3)
    try:
        yield {'url': url, 'values': values, 'requests': requests, 'log': log}
    finally:
        stop()


def test_login_page_is_branded(hub):
    page = hub['requests'].get(hub['url'] + '/hub/login', timeout=30)
    assert page.status_code == 200, hub['log']()
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
    response = hub['requests'].get(hub['url'] + '/hub/logo', timeout=30)
    assert response.status_code == 200
    assert response.headers['Content-Type'].startswith('image/svg+xml')
    with open(LOGO, 'rb') as handle:
        assert response.content == handle.read()


def test_other_pages_get_the_page_branding(hub):
    requests = hub['requests']
    session = requests.Session()
    login = session.get(hub['url'] + '/hub/login', timeout=30)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', login.text).group(1)
    response = session.post(hub['url'] + '/hub/login', data={'username': 'ada', 'password': 'x', '_xsrf': xsrf},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text
    home = session.get(hub['url'] + '/hub/home', timeout=30)
    assert home.status_code == 200, hub['log']()
    # the home.html override (templates option) with the stock page underneath, and page.html's footer
    assert 'id="dsaas-notice"' in home.text and 'Maintenance on DSaaS Lab &lt;Platform&gt;' in home.text
    assert 'id="start"' in home.text or 'Start My Server' in home.text
    assert '<a href="https://www.lab.dsaas.test/imprint">Imprint</a>' in home.text
    # a stock error page (error.html extends page.html: ours)
    missing = session.get(hub['url'] + '/hub/no-such-page', timeout=30)
    assert missing.status_code == 404
    assert '<title>DSaaS Lab &lt;Platform&gt;</title>' in missing.text
    assert '<a href="/privacy">Privacy &amp; data protection</a>' in missing.text
