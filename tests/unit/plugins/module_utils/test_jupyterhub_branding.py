# -*- coding: utf-8 -*-
# The hub's branding as z2jh values (module_utils/jupyterhub_branding.py): pure, no server. The templates
# are rendered by the real JupyterHub 5.5.0 in tests/integration/test_jupyterhub_branding.py.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import glob
import os

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_branding import (
    DEFAULT_FILES_DIR,
    JUPYTERHUB_VERSION,
    LOGIN_TEMPLATE,
    PAGE_TEMPLATE,
    STOCK_TEMPLATES,
    TEMPLATE_VAR,
    BrandingError,
    check_templates,
    check_url,
    hover_colour,
    logo_format,
    parse_colour,
    parse_template,
    read_logo,
    render_branding,
    stock_templates_from_dir,
    text_colour,
)

PNG = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00'
JPEG = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00'
GIF = b'GIF89a\x01\x00\x01\x00'
WEBP = b'RIFF\x1a\x00\x00\x00WEBPVP8L'
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>\n'
HOME = '{% extends "templates/home.html" %}\n{% block main %}<p id="notice">Maintenance</p>{{ super() }}{% endblock %}\n'


def fails(pattern, *args, **kwargs):
    with pytest.raises(BrandingError, match=pattern) as info:
        render_branding(*args, **kwargs)
    assert '\n' not in str(info.value)
    return str(info.value)


def logo_file(tmp_path, data, name='logo'):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# ----------------------------------------------------------------------------------------- output ---

def test_rendered_structure():
    logo = (SVG, ('SVG', 'svg'))
    values = render_branding('Data Science Platform', login_heading='Welcome', login_message='Line 1\nLine 2',
                             primary_colour='#005A9C', custom_css='.a > .b { color: red; }', logo=logo,
                             footer_links=[{'title': 'Imprint', 'url': 'https://example.org/imprint'},
                                           {'title': 'Privacy', 'url': '/privacy'}])
    assert list(values) == ['hub']
    hub = values['hub']
    assert hub['templatePaths'] == [DEFAULT_FILES_DIR + '/templates']
    assert hub['config'] == {'JupyterHub': {'logo_file': DEFAULT_FILES_DIR + '/static/logo.svg'}}
    assert hub['extraFiles'] == {
        'dsaas-branding-login.html': {'mountPath': DEFAULT_FILES_DIR + '/templates/login.html',
                                      'stringData': LOGIN_TEMPLATE},
        'dsaas-branding-page.html': {'mountPath': DEFAULT_FILES_DIR + '/templates/page.html',
                                     'stringData': PAGE_TEMPLATE},
        'dsaas-branding-logo': {'mountPath': DEFAULT_FILES_DIR + '/static/logo.svg',
                                'binaryData': base64.b64encode(SVG).decode('ascii')},
    }
    assert hub['templateVars'] == {TEMPLATE_VAR: {
        'product_name': 'Data Science Platform',
        'login_heading': 'Welcome',
        'login_message': 'Line 1\nLine 2',
        'footer_links': [{'title': 'Imprint', 'url': 'https://example.org/imprint'},
                         {'title': 'Privacy', 'url': '/privacy'}],
        'primary_colour': '#005a9c',
        'primary_hover_colour': '#004c85',
        'primary_text_colour': '#ffffff',
        'custom_css': '.a > .b { color: red; }',
    }}


def test_minimal_keeps_the_jupyterhub_logo_and_colours():
    hub = render_branding('DSaaS')['hub']
    assert 'config' not in hub and 'dsaas-branding-logo' not in hub['extraFiles']
    branding = hub['templateVars'][TEMPLATE_VAR]
    assert branding['login_heading'] == 'DSaaS'  # the product name by default
    assert branding['primary_colour'] == branding['primary_text_colour'] == ''
    assert branding['footer_links'] == [] and branding['custom_css'] == ''


def test_files_dir_and_logo_extension():
    hub = render_branding('X', logo=(PNG, ('PNG', 'png')), files_dir='/srv/hub/')['hub']
    assert hub['templatePaths'] == ['/srv/hub/templates']
    assert hub['extraFiles']['dsaas-branding-logo']['mountPath'] == '/srv/hub/static/logo.png'
    assert hub['config']['JupyterHub']['logo_file'] == '/srv/hub/static/logo.png'


@pytest.mark.parametrize('files_dir', ['relative/dir', '/a/../etc', '/with space', ''])
def test_files_dir_refused(files_dir):
    fails('files_dir', 'X', files_dir=files_dir)


def test_user_templates_are_added_and_may_replace_ours():
    hub = render_branding('X', templates={'home.html': HOME})['hub']
    assert hub['extraFiles']['dsaas-branding-home.html'] == {
        'mountPath': DEFAULT_FILES_DIR + '/templates/home.html', 'stringData': HOME}
    login = '{% extends "templates/login.html" %}{% block login_terms_text %}Terms{% endblock %}'
    hub = render_branding('X', templates={'login.html': login})['hub']
    assert hub['extraFiles']['dsaas-branding-login.html']['stringData'] == login


def test_our_templates_extend_the_stock_pages():
    assert parse_template('page.html', PAGE_TEMPLATE) == (
        'templates/page.html', frozenset(('title', 'stylesheet', 'footer')))
    assert parse_template('login.html', LOGIN_TEMPLATE) == ('templates/login.html', frozenset(('login_container',)))


# ------------------------------------------------------------------------------- bad plain values ---

@pytest.mark.parametrize('value, normal', [('#005A9C', '#005a9c'), ('#abc', '#aabbcc'), ('#FFF', '#ffffff')])
def test_parse_colour(value, normal):
    assert parse_colour(value) == normal


@pytest.mark.parametrize('value', ['005a9c', '#12345', '#ggg', 'blue', 'rgb(0,0,0)', '#1234567', 12, '#abcd'])
def test_bad_colour(value):
    assert fails('primary_colour', 'X', primary_colour=value).startswith('primary_colour: ')


def test_text_and_hover_colours():
    assert text_colour('#005a9c') == '#ffffff'
    assert text_colour('#ffcc00') == '#000000'
    assert text_colour('#000000') == '#ffffff'
    assert hover_colour('#ffffff') == '#d9d9d9'


@pytest.mark.parametrize('url', ['https://example.org/imprint', 'http://intranet.local:8080/a?b=c#d', '/privacy'])
def test_good_urls(url):
    assert check_url(url, 'u') == url


@pytest.mark.parametrize('url, why', [
    ('javascript:alert(1)', 'scheme'), ('ftp://example.org/x', 'scheme'), ('https:///nohost', 'no host'),
    ('example.org/imprint', 'neither'), ('//example.org/x', 'neither'), ('https://example.org/a b', 'spaces'),
    ('https://example.org/"onmouseover=x', 'quotes'), ('', 'required'),
])
def test_bad_urls(url, why):
    message = fails(why, 'X', footer_links=[{'title': 'Imprint', 'url': url}])
    assert message.startswith('footer_links[0].url')


def test_bad_links():
    fails(r"footer_links\[0\]: unknown key 'href' \(did you mean 'title'\?\)|footer_links\[0\]: unknown key 'href'",
          'X', footer_links=[{'title': 'I', 'href': '/i'}])
    fails(r'footer_links\[1\].title is required', 'X', footer_links=[{'title': 'I', 'url': '/i'}, {'url': '/p'}])
    fails('footer_links: expected a list', 'X', footer_links={'title': 'I', 'url': '/i'})


def test_texts():
    fails('product_name is required', '')
    fails('product_name: expected one line', 'A\nB')
    fails('login_heading: expected a string', 'X', login_heading=['a'])
    fails("custom_css: must not contain '<'", 'X', custom_css='</style><script>alert(1)</script>')


# ------------------------------------------------------------------------------------------- logo ---

@pytest.mark.parametrize('data, kind', [(PNG, 'PNG'), (JPEG, 'JPEG'), (GIF, 'GIF'), (WEBP, 'WebP'), (SVG, 'SVG'),
                                        (b'\xef\xbb\xbf' + SVG, 'SVG'),
                                        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', 'SVG')])
def test_logo_formats(tmp_path, data, kind):
    read = read_logo(logo_file(tmp_path, data), 1024)
    assert read == (data, (kind, {'PNG': 'png', 'JPEG': 'jpg', 'GIF': 'gif', 'WebP': 'webp', 'SVG': 'svg'}[kind]))


@pytest.mark.parametrize('data, pattern', [
    (b'%PDF-1.7\n', 'is not a PNG, JPEG, GIF, WebP or SVG image'),
    (b'hello world', 'is not a PNG, JPEG, GIF, WebP or SVG image'),
    (b'RIFF\x00\x00\x00\x00WAVEfmt ', 'is not a PNG'),
    (b'<html><body/></html>', r'root element is html, not <svg>'),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>', 'not well-formed XML'),
    (b'<svg width="1"/>', 'has no xmlns'),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'contains <script>'),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', r'event handler \(onload'),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', 'foreignObject'),
    (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
     b'<a x:href="javascript:alert(1)"/></svg>', 'javascript: link'),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
     'declares XML entities'),
])
def test_logo_refused(tmp_path, data, pattern):
    path = logo_file(tmp_path, data)
    with pytest.raises(BrandingError, match=pattern) as info:
        read_logo(path)
    assert str(info.value).startswith("logo_path '%s'" % path)
    assert '\n' not in str(info.value)


def test_logo_too_large(tmp_path):
    path = logo_file(tmp_path, PNG + b'\x00' * 2048)
    with pytest.raises(BrandingError) as info:
        read_logo(path, 1024)
    assert str(info.value) == "logo_path '%s' is 2 KiB (%d bytes), more than logo_max_bytes 1024 (1 KiB)" % (
        path, len(PNG) + 2048)
    assert read_logo(path, 4096)[1] == ('PNG', 'png')


def test_logo_missing_empty_directory(tmp_path):
    with pytest.raises(BrandingError, match='no such file'):
        read_logo(str(tmp_path / 'nope.png'))
    with pytest.raises(BrandingError, match='is not a file'):
        read_logo(str(tmp_path))
    with pytest.raises(BrandingError, match='is empty'):
        read_logo(logo_file(tmp_path, b''))


@pytest.mark.parametrize('value', [0, -1, True, '1k', 768 * 1024 + 1])
def test_logo_max_bytes_refused(tmp_path, value):
    with pytest.raises(BrandingError, match='logo_max_bytes'):
        read_logo(logo_file(tmp_path, PNG), value)


def test_logo_format_without_file():
    assert logo_format(GIF) == ('GIF', 'gif')


# -------------------------------------------------------------------------------------- templates ---

def test_syntax_error_names_template_and_line():
    message = fails(r"templates\['home.html'\] line 3: syntax error: Encountered unknown tag 'endblok'", 'X',
                    templates={'home.html': '{% extends "templates/home.html" %}\n{% block main %}\n{% endblok %}\n'})
    assert 'endblock' in message


def test_unknown_filter_is_a_syntax_error():
    fails(r"templates\['x.html'\] line 2: syntax error: No filter named 'shout'", 'X',
          templates={'x.html': '<p>\n{{ dsaas_branding.product_name | shout }}</p>'})


def test_unknown_block_lists_the_valid_ones():
    message = fails(r"templates\['home.html'\]: block 'mian' is not in templates/home.html \(JupyterHub 5.5.0\); "
                    r"did you mean 'main'\?; its blocks are: announcement, ", 'X',
                    templates={'home.html': '{% extends "templates/home.html" %}{% block mian %}{% endblock %}'})
    assert 'script' in message and 'stylesheet' in message and 'login_container' not in message


def test_blocks_of_the_whole_chain_are_known():
    # 404.html -> error.html -> page.html: blocks of all three
    check_templates({'404.html': '{% extends "templates/404.html" %}{% block error_detail %}x{% endblock %}'
                                 '{% block h1_error %}x{% endblock %}{% block footer %}x{% endblock %}'})
    # an unprefixed name is looked up in our templates first (template_paths before the stock directory)
    check_templates({'login.html': LOGIN_TEMPLATE,
                     'mine.html': '{% extends "login.html" %}{% block login_terms_text %}x{% endblock %}'})


def test_nested_new_block_is_refused_too():
    fails(r"block 'notice' is not in templates/home.html", 'X', templates={
        'home.html': '{% extends "templates/home.html" %}{% block main %}{% block notice %}{% endblock %}'
                     '{% endblock %}'})


@pytest.mark.parametrize('source, pattern', [
    ('{% extends "templates/hom.html" %}',
     r"extends 'templates/hom.html', which is not a stock template of JupyterHub 5.5.0 \(404.html, "),
    ('{% extends "nowhere.html" %}', "extends 'nowhere.html', which is neither one of these templates nor a stock"),
    ('{% extends "home.html" %}', r'extends itself; extend the stock page with \{% extends "templates/home.html" %\}'),
    ('{% extends name %}', 'extends must name the template as a string'),
    ('{% if x %}{% extends "page.html" %}{% endif %}', 'extends must be at the top level'),
    ('{% extends "page.html" %}{% extends "templates/page.html" %}', 'extends more than one template'),
])
def test_bad_extends(source, pattern):
    fails(pattern, 'X', templates={'home.html': source})


def test_extends_loop():
    fails('extends loop', 'X', templates={'a.html': '{% extends "b.html" %}', 'b.html': '{% extends "a.html" %}'})


def test_template_without_extends_is_allowed():
    check_templates({'help.html': '<p>{{ dsaas_branding.product_name }}</p>'})


@pytest.mark.parametrize('name', ['../page.html', 'sub/page.html', 'page.htm', '.html', 'page html.html'])
def test_bad_template_names(name):
    fails('is not a template file name', 'X', templates={name: '<p/>'})


def test_template_must_be_text():
    fails(r"templates\['home.html'\]: expected the template text", 'X', templates={'home.html': 42})


def test_stock_templates_from_another_hub(tmp_path):
    (tmp_path / 'page.html').write_text('{% block main %}{% endblock %}{% block footer %}{% endblock %}')
    (tmp_path / 'login.html').write_text('{% extends "page.html" %}{% block login_container %}{% endblock %}')
    stock = stock_templates_from_dir(str(tmp_path))
    assert stock == {'page.html': (None, frozenset(('main', 'footer'))),
                     'login.html': ('page.html', frozenset(('login_container',)))}
    # the module's own page.html sets title and stylesheet: a hub without them is reported
    message = fails(r"templates\['page.html'\]: block '(stylesheet|title)' is not in templates/page.html "
                    r"\(jupyterhub_templates_dir\)", 'X', stock_templates=stock)
    assert 'its blocks are: footer, main' in message


def test_stock_templates_dir_refused(tmp_path):
    with pytest.raises(BrandingError, match='is not a directory'):
        stock_templates_from_dir(str(tmp_path / 'nope'))
    with pytest.raises(BrandingError, match='has no page.html and login.html'):
        stock_templates_from_dir(str(tmp_path))


# ------------------------------------------------------------- the constant against the real hub ---

def hub_templates_dir():
    """share/jupyterhub/templates of the lab's hub runtime (JupyterHub 5.5.0), or None."""
    venvs = []
    if os.environ.get('DSAAS_HUB_VENV'):
        venvs.append(os.environ['DSAAS_HUB_VENV'])
    cache = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'dsaas-lab', 'jupyterhub')
    venvs.extend(sorted(glob.glob(os.path.join(cache, '*', 'venv'))))
    for venv in venvs:
        pinned = glob.glob(os.path.join(venv, 'lib', 'python3*', 'site-packages',
                                        'jupyterhub-%s.dist-info' % JUPYTERHUB_VERSION))
        templates = os.path.join(venv, 'share', 'jupyterhub', 'templates')
        if pinned and os.path.isdir(templates):
            return templates
    return None


def test_stock_blocks_match_the_pinned_jupyterhub():
    templates = hub_templates_dir()
    if templates is None:
        pytest.skip('no hub runtime with JupyterHub %s ($DSAAS_HUB_VENV or ~/.cache/dsaas-lab/jupyterhub/*/venv; '
                    'lab/lab up jupyterhub builds it)' % JUPYTERHUB_VERSION)
    assert stock_templates_from_dir(templates) == STOCK_TEMPLATES
