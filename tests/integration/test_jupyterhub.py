# -*- coding: utf-8 -*-
"""The JupyterHub layer on the lab, end to end: playbooks/jupyterhub.yml with the lab inventory renders the
chart values (AD login, profiles, branding, hub.db, culling, policies), validates them against the z2jh 4.4
schema, and the lab's hub process (lab/hub/run.py: JupyterHub 5.5.0 as pinned in the hub image) runs them:
logins against the lab's Samba AD DC, KubeSpawner creating user pods and volumes in the lab's Kubernetes API,
the hub database in the lab's PostgreSQL. The login page is also checked in headless Chromium (Debian's
chromium + chromedriver), which saves a screenshot.
"""
import functools
import hashlib
import json
import os
import re
import subprocess
import time

import pytest
import requests
import yaml

from conftest import LAB_STATE, ROOT, lab_env, lab_secret, require_lab, run_playbook, z2jh_contract

PLAYBOOK = 'playbooks/jupyterhub.yml'
HUB = 'http://127.0.0.1:18000'
NAMESPACE = 'dsaas-jupyterhub'
VALUES = os.path.join(LAB_STATE, 'jupyterhub-values.yaml')
HUB_PID = os.path.join(LAB_STATE, 'hub', 'pid')
KUBECONFIG = os.path.join(LAB_STATE, 'kubernetes', 'admin.kubeconfig')
CONTRACTS = os.path.join(os.path.dirname(ROOT), 'shared', 'contracts', 'z2jh')
CHART_DIR = os.path.join(ROOT, 'roles', 'jupyterhub', 'files', 'z2jh-4.4.0')
ARTIFACTS = os.environ.get('DSAAS_TEST_ARTIFACTS') or os.path.join(LAB_STATE, 'artifacts')


@functools.lru_cache(maxsize=None)
def _lab_path():
    """PATH with the lab's kubectl first (lab/lab env puts its folder there)."""
    return lab_env('kubernetes')['PATH']


def kubectl(*args, stdin=None, namespace=NAMESPACE):
    """kubectl of the lab against the lab API, in the hub's namespace unless namespace is None."""
    scope = ['-n', namespace] if namespace else []
    return subprocess.run(['kubectl', '--kubeconfig', KUBECONFIG] + scope + list(args), input=stdin,
                          capture_output=True, text=True, check=False, env=dict(os.environ, PATH=_lab_path()))


def get_json(*args):
    result = kubectl(*(list(args) + ['-o', 'json']))
    return json.loads(result.stdout) if result.returncode == 0 else None


def fingerprint():
    """What a failed run must leave alone: the values file, the hub process, the namespace."""
    def read(path):
        try:
            with open(path, 'rb') as handle:
                return hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            return None
    namespace = kubectl('get', 'namespace', NAMESPACE, '-o', 'jsonpath={.metadata.resourceVersion}', namespace=None).stdout
    return {'values': read(VALUES), 'hub': read(HUB_PID), 'namespace': namespace}


class Browser:
    """A user's session on the hub, through the login form as a browser posts it."""

    def __init__(self, username, password):
        self.session = requests.Session()
        page = self.session.get(HUB + '/hub/login', timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        self.login = self.session.post(HUB + '/hub/login', allow_redirects=False, timeout=120,
                                       data={'username': username, 'password': password, '_xsrf': xsrf})
        self.name = username.lower()

    @property
    def xsrf(self):
        return self.session.cookies.get('_xsrf', path='/hub/')

    def profiles(self):
        page = self.session.get(HUB + '/hub/spawn', timeout=30)
        assert page.status_code == 200, page.text[:500]
        return re.findall(r'<h3>([^<]+)</h3>', page.text)

    def spawn(self, slug):
        return self.session.post(HUB + '/hub/spawn', data={'profile': slug, '_xsrf': self.xsrf},
                                 allow_redirects=False, timeout=60)

    def stop(self):
        return self.session.delete(HUB + '/hub/api/users/%s/server' % self.name, timeout=60,
                                   headers={'X-XSRFToken': self.xsrf})


@pytest.fixture(scope='module')
def deployed():
    for service in ('samba-ad', 'postgresql', 'kubernetes', 'jupyterhub'):
        require_lab(service)
    first = run_playbook(PLAYBOOK)
    assert first.rc == 0, first.output[-6000:]
    second = run_playbook(PLAYBOOK)
    assert second.rc == 0, second.output[-6000:]
    check = run_playbook(PLAYBOOK, None, '--check', '--diff')
    assert check.rc == 0, check.output[-6000:]
    with open(VALUES) as handle:
        values = yaml.safe_load(handle)
    return {'first': first, 'second': second, 'check': check, 'values': values}


@pytest.fixture(scope='module')
def password():
    return lab_secret('ad-users')


# ------------------------------------------------------------------------------------------ the role ---

def test_second_run_and_check_change_nothing(deployed):
    assert deployed['second'].recap()['changed'] == '0', deployed['second'].output[-3000:]
    assert deployed['check'].recap()['changed'] == '0', deployed['check'].output[-3000:]


def test_no_secret_in_the_output(deployed):
    for run in (deployed['first'], deployed['second'], deployed['check']):
        for secret in ('ad-bind', 'pg-dsaas'):
            assert lab_secret(secret) not in run.output


def test_values_file_is_private(deployed):
    assert os.stat(VALUES).st_mode & 0o077 == 0


def test_vendored_chart_files_are_the_contract():
    """The role's copy of the chart's values.yaml and schema is z2jh 4.4's (../shared/contracts/z2jh)."""
    if not os.path.isdir(CONTRACTS):
        pytest.skip('no ../shared/contracts/z2jh beside the checkout')
    from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import strip_descriptions
    with open(os.path.join(CONTRACTS, 'values.yaml')) as a, open(os.path.join(CHART_DIR, 'values.yaml')) as b:
        assert a.read() == b.read()
    with open(os.path.join(CONTRACTS, 'values.schema.yaml')) as a, open(os.path.join(CHART_DIR, 'values.schema.json')) as b:
        assert strip_descriptions(yaml.safe_load(a)) == json.load(b)


def test_rendered_values_validate_against_the_z2jh_schema(deployed):
    """Contract: the document the role rendered, coalesced onto the chart's defaults, is valid for z2jh 4.4."""
    from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import merge_values, schema_errors
    defaults, schema = z2jh_contract()
    assert schema_errors(merge_values(defaults, deployed['values']), schema) == []
    # the validation can fail: a wrong type in the same document is reported with its path
    broken = merge_values(defaults, deployed['values'], {'cull': {'timeout': 'one hour'}})
    assert schema_errors(broken, schema) == ["$.cull.timeout: 'one hour' is not of type 'integer', 'null'"]


def test_values_carry_the_platform_settings(deployed):
    values = deployed['values']
    assert values['hub']['db']['type'] == 'postgres'
    assert values['hub']['db']['url'].startswith('postgresql://dsaas@127.0.0.1:55432/jupyterhub')
    assert values['cull'] == {'enabled': True, 'timeout': 3600, 'every': 600}
    assert values['proxy']['service']['type'] == 'LoadBalancer'
    assert values['proxy']['service']['nodePorts']['http'] == 30080
    assert values['singleuser']['storage']['dynamic']['storageClass'] == 'dsaas-student'
    assert values['singleuser']['networkPolicy']['egressAllowRules']['privateIPs'] is False


def test_namespace_enforces_pod_security_restricted(deployed):
    namespace = json.loads(kubectl('get', 'namespace', NAMESPACE, '-o', 'json', namespace=None).stdout)
    assert namespace['metadata']['labels']['pod-security.kubernetes.io/enforce'] == 'restricted'


# ------------------------------------------------------------------------------------- the real hub ---

def test_hub_database_is_the_lab_postgresql(deployed, password):
    import psycopg2
    Browser('bob', password)
    connection = psycopg2.connect(host='127.0.0.1', port=55432, dbname='jupyterhub', user='dsaas',
                                  password=lab_secret('pg-dsaas'), connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT name FROM users')
            names = [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()
    assert 'bob' in names
    assert not [f for f in os.listdir(os.path.join(LAB_STATE, 'hub')) if f.endswith('.sqlite')]


def test_idle_culler_runs_with_the_timeout(deployed):
    # a managed service of the hub: started right after the hub answers
    deadline = time.monotonic() + 30
    while True:
        culler = subprocess.run(['pgrep', '-af', 'jupyterhub_idle_culler'], capture_output=True, text=True,
                                check=False).stdout
        if culler or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert '--timeout=3600 --cull-every=600' in culler


def test_student_sees_only_basic(deployed, password):
    student = Browser('bob', password)
    assert student.login.status_code == 302
    assert student.profiles() == ['Basic']


def test_researcher_sees_basic_and_data_science(deployed, password):
    assert Browser('carol', password).profiles() == ['Basic', 'Data Science']
    # erin is a researcher through a nested group
    assert Browser('erin', password).profiles() == ['Basic', 'Data Science']


def test_researcher_spawns_data_science_pod_and_researcher_volume(deployed, password):
    researcher = Browser('carol', password)
    kubectl('delete', 'pod', 'jupyter-carol', '--ignore-not-found', '--wait=true')
    kubectl('delete', 'pvc', 'claim-carol', '--ignore-not-found', '--wait=true')
    try:
        response = researcher.spawn('data-science')
        assert response.status_code == 302, response.text[:500]
        pod = pvc = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (pod and pvc):
            pod, pvc = get_json('get', 'pod', 'jupyter-carol'), get_json('get', 'pvc', 'claim-carol')
            time.sleep(0.5)
        assert pod and pvc, 'no pod/PVC for carol within 60 s'
        container = pod['spec']['containers'][0]
        assert container['image'] == 'quay.io/jupyter/datascience-notebook:2025-10-20'
        assert container['resources'] == {'limits': {'cpu': '4', 'memory': '16G'},
                                          'requests': {'cpu': '1', 'memory': '4G'}}
        assert container['securityContext']['runAsNonRoot'] is True
        assert container['securityContext']['capabilities'] == {'drop': ['ALL']}
        assert pvc['spec']['storageClassName'] == 'dsaas-researcher'
        claims = [v['persistentVolumeClaim']['claimName'] for v in pod['spec']['volumes'] if 'persistentVolumeClaim' in v]
        assert claims == ['claim-carol']
    finally:
        researcher.stop()
        kubectl('delete', 'pod', 'jupyter-carol', '--ignore-not-found', '--wait=false')
        kubectl('delete', 'pvc', 'claim-carol', '--ignore-not-found', '--wait=false')


# ---------------------------------------------------------------------------------- the login page ---

LAB_LOGO = os.path.join(ROOT, 'inventories', 'lab', 'files', 'branding', 'logo.svg')
HEADING = 'Data Science Platform of the University Hospital'
LINKS = {'Imprint': 'https://www.hospital.example/imprint', 'Privacy policy': 'https://www.hospital.example/privacy'}


def test_login_page_over_http_is_branded(deployed):
    page = requests.get(HUB + '/hub/login', timeout=30)
    assert page.status_code == 200
    assert '<title>Data Science Platform</title>' in page.text
    assert HEADING in page.text
    for title, url in LINKS.items():
        assert '<a href="%s">%s</a>' % (url, title) in page.text
    assert "src='/hub/logo'" in page.text
    logo = requests.get(HUB + '/hub/logo', timeout=30)
    with open(LAB_LOGO, 'rb') as handle:
        assert logo.status_code == 200 and logo.content == handle.read()
    assert logo.headers['Content-Type'].startswith('image/svg+xml')


@pytest.fixture
def chromium():
    webdriver = pytest.importorskip('selenium.webdriver')
    from selenium.webdriver.chrome.service import Service
    for program in ('/usr/bin/chromium', '/usr/bin/chromedriver'):
        if not os.access(program, os.X_OK):
            pytest.skip('%s missing (Debian chromium, chromium-driver: lab/lab up jupyterhub installs them)' % program)
    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for argument in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--window-size=1280,800'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_login_page_in_headless_chromium_shows_logo_heading_links_and_logs_in(deployed, chromium, password):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    chromium.get(HUB + '/hub/login')
    os.makedirs(ARTIFACTS, exist_ok=True)
    screenshot = os.path.join(ARTIFACTS, 'jupyterhub-login.png')
    assert chromium.save_screenshot(screenshot)
    print('screenshot: %s' % screenshot)
    logo = chromium.find_element(By.CSS_SELECTOR, 'img.jpy-logo')
    assert chromium.execute_script('return arguments[0].complete && arguments[0].naturalWidth', logo) == 240
    assert logo.is_displayed()
    heading = chromium.find_element(By.CSS_SELECTOR, 'h1')
    assert heading.text == HEADING and heading.is_displayed()
    assert heading.value_of_css_property('color') == 'rgba(0, 90, 156, 1)'  # the primary colour, #005a9c
    form_header = chromium.find_element(By.CSS_SELECTOR, '.auth-form-header')
    assert form_header.value_of_css_property('background-color') == 'rgba(0, 90, 156, 1)'
    for title, url in LINKS.items():
        link = chromium.find_element(By.LINK_TEXT, title)
        assert link.get_attribute('href') == url and link.is_displayed()
    # a newcomer logs in with a seeded AD user and lands on the profile choice
    chromium.find_element(By.ID, 'username_input').send_keys('bob')
    chromium.find_element(By.ID, 'password_input').send_keys(password)
    chromium.find_element(By.ID, 'login_submit').click()
    WebDriverWait(chromium, 60).until(expected_conditions.url_contains('/hub/spawn'))
    assert [h.text for h in chromium.find_elements(By.CSS_SELECTOR, 'h3')] == ['Basic']
    chromium.save_screenshot(os.path.join(ARTIFACTS, 'jupyterhub-spawn-student.png'))


# ------------------------------------------------------------------------------------ bad input ---

PROFILE = {'display_name': 'Basic', 'image': {'repository': 'quay.io/jupyter/scipy-notebook', 'tag': '2025-10-20'},
           'default': True}


@pytest.mark.parametrize('extra, message', [
    ({'jupyterhub_extra_values': {'hub': {'db': {'type': 'bogus'}}, 'singleuser': {'startTimeout': 'soon'}}},
     "zero-to-jupyterhub values: $.hub.db.type: 'bogus' is not one of ['sqlite-pvc', 'sqlite-memory', 'mysql', "
     "'postgres', 'other']; $.singleuser.startTimeout: 'soon' is not of type 'integer', 'null'; nothing was changed"),
    ({'jupyterhub_profiles': [dict(PROFILE, image={'repository': 'quay.io/jupyter/scipy-notebook'})]},
     "profiles[0] (slug 'basic').image 'quay.io/jupyter/scipy-notebook' has no tag or digest"),
    ({'jupyterhub_profiles': [dict(PROFILE, memory={'guarantee': '4G', 'limit': '2G'})]},
     "profiles[0] (slug 'basic').memory: limit 2G is less than guarantee 4G"),
    ({'jupyterhub_profiles': [PROFILE, dict(PROFILE, display_name='Other')]}, 'default'),
    ({'jupyterhub_profiles': [dict(PROFILE, groups=['dsaas-no-such-group'])]}, 'dsaas-no-such-group'),
    ({'jupyterhub_db': {'host': '127.0.0.1', 'port': 1, 'database': 'jupyterhub', 'user': 'dsaas',
                        'password': 'x', 'ssl_mode': 'disable'}},
     'hub database PostgreSQL 127.0.0.1:1 (database jupyterhub, user dsaas):'),
])
def test_bad_input_fails_in_one_line_and_changes_nothing(deployed, extra, message):
    before = fingerprint()
    run = run_playbook(PLAYBOOK, extra)
    assert run.rc != 0
    assert message in run.output, run.output[-3000:]
    assert fingerprint() == before
    assert 'Traceback' not in run.output


def test_wrong_database_password_is_named_and_not_shown(deployed):
    before = fingerprint()
    run = run_playbook(PLAYBOOK, {'jupyterhub_db': {'host': '127.0.0.1', 'port': 55432, 'database': 'jupyterhub',
                                                    'user': 'dsaas', 'password': 'not-the-password-4711',
                                                    'ssl_mode': 'disable'}})
    assert run.rc != 0 and 'password authentication failed' in run.output, run.output[-3000:]
    assert 'not-the-password-4711' not in run.output
    assert fingerprint() == before


LAB_BRANDING = {'product_name': 'Data Science Platform', 'logo_path': LAB_LOGO}


@pytest.mark.parametrize('case', ['not an image', 'too large', 'template syntax error'])
def test_bad_branding_fails_in_one_line_and_changes_nothing(deployed, tmp_path, case):
    branding = dict(LAB_BRANDING)
    if case == 'not an image':
        text = tmp_path / 'logo.png'
        text.write_text('Imprint: University Hospital\n')
        branding['logo_path'] = str(text)
    elif case == 'too large':
        branding['logo_max_bytes'] = 512
    else:
        template = tmp_path / 'home.html'
        template.write_text('{% extends "templates/home.html" %}\n{% block main %}\n{{ super() }\n{% endblock %}\n')
        branding['templates'] = {'home.html': "{{ lookup('ansible.builtin.file', '%s') }}" % template}
    before = fingerprint()
    run = run_playbook(PLAYBOOK, {'jupyterhub_branding': branding})
    assert run.rc != 0
    failed = [line for line in run.output.splitlines() if line.startswith('fatal: [localhost]')]
    assert len(failed) == 1, run.output[-3000:]
    print(failed[0])
    expected = {'not an image': 'is not a PNG, JPEG, GIF, WebP or SVG image',
                'too large': 'more than logo_max_bytes 512',
                'template syntax error': "templates['home.html'] line 3: syntax error: unexpected '}'"}
    assert expected[case] in failed[0]
    assert fingerprint() == before
