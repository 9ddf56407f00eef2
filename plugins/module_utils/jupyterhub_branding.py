# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hub's branding as zero-to-jupyterhub values (pure: no server is contacted).

``render_branding(product_name, ...)`` checks the branding and returns ``{'hub': {'extraFiles':
{...}, 'templatePaths': [...], 'templateVars': {'dsaas_branding': {...}}, 'config': {'JupyterHub':
{'logo_file': ...}}}}`` for the z2jh 4.4 chart (JupyterHub 5.5.0). ``read_logo(path, max_bytes)``
reads and checks the logo. Both raise ``BrandingError`` (one line, naming the option) and render
nothing when the input is wrong.

Decisions written down here because the code alone does not say why:

**Templates extend the stock pages, they do not copy them.** ``page.html`` is
``{% extends "templates/page.html" %}`` plus three blocks (title, stylesheet, footer) and
``login.html`` is ``{% extends "templates/login.html" %}`` plus ``login_container`` with
``{{ super() }}``: the login form, the XSRF field and the scripts stay JupyterHub's own, so a hub
upgrade keeps working. JupyterHub's loader (``JupyterHub.init_tornado_settings``) is a
``ChoiceLoader`` of a ``PrefixLoader`` (``templates/<name>`` -> the stock directory) and a
``FileSystemLoader`` over ``template_paths`` then the stock directory. Every stock page extends
``"page.html"`` without the prefix, so it finds *our* ``page.html`` first: the colour, the CSS and
the footer links reach every page (login, home, spawn, error...), not only the ones overridden here.

**The texts are template variables, not template text.** The templates are constant; the product
name, heading, message, links and colour are ``hub.templateVars.dsaas_branding`` and are escaped by
JupyterHub's autoescaping. A ``<`` in a heading is shown, not interpreted. Only ``custom_css`` is
inserted unescaped (inside ``<style>``, where an escaped ``>`` would break child selectors), so it
must not contain ``<`` (no ``</style>`` break-out).

**Unknown blocks are errors.** Jinja silently drops a block of a child template that its parent
does not have: a typo (``{% block login_containr %}``) or a block renamed by an upgrade would
simply disappear from the page. Every block of a template that extends another one must exist in
the template chain it extends; the stock blocks of JupyterHub 5.5.0 are ``STOCK_TEMPLATES`` below
(checked against the pinned hub runtime by the unit tests), or are read from the templates of
another JupyterHub with ``stock_templates_from_dir``. Syntax errors are found by compiling with the
Jinja that runs the module (ansible-core's, Jinja 3.1 as in the hub image); the integration test
renders the result with the real JupyterHub 5.5.0 process.

**The logo is served by JupyterHub at /hub/logo** (``JupyterHub.logo_file``), which the stock
``logo`` block of ``page.html`` already shows: no template has to change for it. Its content is
checked by its first bytes (PNG, JPEG, GIF, WebP) or parsed (SVG with the SVG namespace, which a
browser needs to show it in ``<img>``). The hub serves the SVG from its own origin, so an SVG with
scripts, event handlers, ``javascript:`` links or entity declarations is refused. The size limit
keeps the chart's hub Secret (all ``hub.extraFiles``, base64, at most 1 MiB) within bounds.

**changed is always false**: the module only computes values; whatever applies them (helm)
decides whether anything changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import difflib
import os
import re
from xml.etree import ElementTree

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not a target, keeps the import sanity test quiet
    from urlparse import urlsplit  # type: ignore

try:
    from jinja2 import Environment, nodes
    from jinja2.exceptions import TemplateSyntaxError
    HAS_JINJA2 = True
    JINJA2_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - ansible-core depends on jinja2
    HAS_JINJA2 = False
    JINJA2_IMPORT_ERROR = exc

JUPYTERHUB_VERSION = '5.5.0'
TEMPLATE_VAR = 'dsaas_branding'
EXTRA_FILE_PREFIX = 'dsaas-branding-'
STOCK_PREFIX = 'templates/'
DEFAULT_FILES_DIR = '/usr/local/share/jupyterhub/dsaas'
DEFAULT_LOGO_MAX_BYTES = 256 * 1024
# z2jh keeps all hub.extraFiles in one Secret (1 MiB at most), base64-encoded: 768 KiB of logo fill it.
LOGO_MAX_BYTES_CEILING = 768 * 1024

# The stock templates of JupyterHub 5.5.0 (share/jupyterhub/templates): name -> (the template it
# extends, the blocks it defines). tests/unit/plugins/module_utils/test_jupyterhub_branding.py
# compares this with the pinned hub runtime's templates (stock_templates_from_dir).
STOCK_TEMPLATES = {
    '404.html': ('error.html', frozenset(('error_detail',))),
    'accept-share.html': ('page.html', frozenset(('login_widget', 'main'))),
    'admin.html': ('page.html', frozenset(('footer', 'main'))),
    'error.html': ('page.html', frozenset(('error_detail', 'h1_error', 'login_widget', 'main', 'script'))),
    'home.html': ('page.html', frozenset(('main', 'script'))),
    'login.html': ('page.html', frozenset((
        'login', 'login_container', 'login_terms', 'login_terms_text', 'login_widget', 'main', 'otp_input',
        'otp_input_attrs', 'password_input', 'password_input_attrs', 'script', 'username_input',
        'username_input_attrs'))),
    'logout.html': ('page.html', frozenset(('main',))),
    'not_running.html': ('page.html', frozenset(('heading', 'main', 'message', 'script', 'start_button'))),
    'oauth.html': ('page.html', frozenset(('login_widget', 'main'))),
    'page.html': (None, frozenset((
        'announcement', 'favicon', 'footer', 'header', 'login_widget', 'logo', 'main', 'meta', 'nav_bar',
        'nav_bar_left_items', 'nav_bar_right_items', 'script', 'scripts', 'service', 'stylesheet',
        'theme_toggle', 'title'))),
    'spawn.html': ('page.html', frozenset(('heading', 'main', 'script'))),
    'spawn_pending.html': ('page.html', frozenset(('main', 'message', 'script'))),
    'stop_pending.html': ('page.html', frozenset(('main', 'message', 'script'))),
    'token.html': ('page.html', frozenset(('client_row', 'expiration_options', 'main', 'script', 'token_row'))),
}

# Every hub page extends page.html (unprefixed), so it gets this one: title, colour, CSS, footer.
PAGE_TEMPLATE = '''\
{#- dsaas.platform.jupyterhub_branding (rendered): every hub page extends page.html, so it gets this one. -#}
{% extends "templates/page.html" %}
{% block title %}{{ dsaas_branding.product_name }}{% endblock title %}
{% block stylesheet %}
  {{ super() }}
  <style id="dsaas-branding-style">
    {%- if dsaas_branding.primary_colour %}
    :root {
      --dsaas-primary: {{ dsaas_branding.primary_colour }};
      --dsaas-primary-hover: {{ dsaas_branding.primary_hover_colour }};
      --dsaas-on-primary: {{ dsaas_branding.primary_text_colour }};
    }
    .btn-jupyter {
      --bs-btn-color: var(--dsaas-on-primary);
      --bs-btn-bg: var(--dsaas-primary);
      --bs-btn-border-color: var(--dsaas-primary);
      --bs-btn-hover-color: var(--dsaas-on-primary);
      --bs-btn-hover-bg: var(--dsaas-primary-hover);
      --bs-btn-hover-border-color: var(--dsaas-primary-hover);
      --bs-btn-active-color: var(--dsaas-on-primary);
      --bs-btn-active-bg: var(--dsaas-primary-hover);
      --bs-btn-active-border-color: var(--dsaas-primary-hover);
      --bs-btn-disabled-color: var(--dsaas-on-primary);
      --bs-btn-disabled-bg: var(--dsaas-primary);
      --bs-btn-disabled-border-color: var(--dsaas-primary);
    }
    .dsaas-login-heading { color: var(--dsaas-primary); }
    #login-main .auth-form-header { background: var(--dsaas-primary); color: var(--dsaas-on-primary); }
    .form-control:focus { border-color: var(--dsaas-primary); }
    {%- endif %}
    .dsaas-login-intro { text-align: center; margin-bottom: 1.5rem; }
    .dsaas-login-message { white-space: pre-line; }
    .dsaas-footer { margin-top: 2rem; padding: 1rem 0; font-size: 0.875rem; }
    {%- if dsaas_branding.custom_css %}
    /* custom_css */
    {{ dsaas_branding.custom_css | safe }}
    {%- endif %}
  </style>
{% endblock stylesheet %}
{% block footer %}
  {{ super() }}
  {%- if dsaas_branding.footer_links %}
  <footer class="dsaas-footer container text-center">
    <ul class="list-inline mb-0">
      {%- for link in dsaas_branding.footer_links %}
      <li class="list-inline-item"><a href="{{ link['url'] }}">{{ link['title'] }}</a></li>
      {%- endfor %}
    </ul>
  </footer>
  {%- endif %}
{% endblock footer %}
'''

# The stock login form stays (super()); the heading and message go above it.
LOGIN_TEMPLATE = '''\
{#- dsaas.platform.jupyterhub_branding (rendered): the stock login page with a heading and a message. -#}
{% extends "templates/login.html" %}
{% block login_container %}
  {%- if dsaas_branding.login_heading or dsaas_branding.login_message %}
  <div class="dsaas-login-intro">
    {%- if dsaas_branding.login_heading %}
    <h1 class="dsaas-login-heading">{{ dsaas_branding.login_heading }}</h1>
    {%- endif %}
    {%- if dsaas_branding.login_message %}
    <p class="dsaas-login-message">{{ dsaas_branding.login_message }}</p>
    {%- endif %}
  </div>
  {%- endif %}
  {{ super() }}
{% endblock login_container %}
'''

RENDERED_TEMPLATES = (('page.html', PAGE_TEMPLATE), ('login.html', LOGIN_TEMPLATE))

LINK_KEYS = ('title', 'url')
TEMPLATE_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*\.html$')
COLOUR_RE = re.compile(r'^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$')
SVG_NS = 'http://www.w3.org/2000/svg'
SVG_REFERENCE_ATTRIBUTES = ('href', '{http://www.w3.org/1999/xlink}href')

# (name, file extension, test on the first bytes)
RASTER_FORMATS = (
    ('PNG', 'png', lambda data: data.startswith(b'\x89PNG\r\n\x1a\n')),
    ('JPEG', 'jpg', lambda data: data.startswith(b'\xff\xd8\xff')),
    ('GIF', 'gif', lambda data: data[:6] in (b'GIF87a', b'GIF89a')),
    ('WebP', 'webp', lambda data: data[:4] == b'RIFF' and data[8:12] == b'WEBP'),
)
IMAGE_KINDS = 'PNG, JPEG, GIF, WebP or SVG'


class BrandingError(ValueError):
    """The branding cannot be rendered; the message (one line) says which option and why."""


def _is_string(value):
    return isinstance(value, str)


def _one_line(text):
    return ' '.join(str(text).split())


def _kib(size):
    return ('%.1f' % (size / 1024.0)).rstrip('0').rstrip('.')


def _text(value, where, required=False, single_line=True):
    if value is None or value == '':
        if required:
            raise BrandingError('%s is required' % where)
        return ''
    if not _is_string(value):
        raise BrandingError('%s: expected a string, got %s' % (where, type(value).__name__))
    value = value.strip()
    if single_line and ('\n' in value or '\r' in value):
        raise BrandingError('%s: expected one line of text' % where)
    if required and not value:
        raise BrandingError('%s is required' % where)
    return value


def _check_keys(value, allowed, where):
    if not isinstance(value, dict):
        raise BrandingError('%s: expected a dictionary, got %s' % (where, type(value).__name__))
    for key in value:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            raise BrandingError('%s: unknown key %r (%s)' % (
                where, key, ('did you mean %r?' % near[0]) if near else 'expected one of %s' % ', '.join(allowed)))


# ----------------------------------------------------------------------------------------- colour ---

def parse_colour(value, where='primary_colour'):
    """``#rgb`` or ``#rrggbb`` as lower-case ``#rrggbb``."""
    if not _is_string(value) or not COLOUR_RE.match(value.strip()):
        raise BrandingError('%s: %r is not a colour (use #rgb or #rrggbb, like #005a9c)' % (where, value))
    digits = value.strip()[1:].lower()
    if len(digits) == 3:
        digits = ''.join(c * 2 for c in digits)
    return '#' + digits


def _channels(colour):
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def _luminance(colour):
    """WCAG 2 relative luminance of #rrggbb."""
    linear = []
    for channel in _channels(colour):
        c = channel / 255.0
        linear.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_colour(colour):
    """White or black, whichever contrasts more with the colour (for button text)."""
    luminance = _luminance(colour)
    on_white = 1.05 / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return '#ffffff' if on_white >= on_black else '#000000'


def hover_colour(colour):
    """The colour 15 % darker (buttons under the pointer)."""
    return '#' + ''.join('%02x' % int(round(c * 0.85)) for c in _channels(colour))


# ------------------------------------------------------------------------------------------ links ---

def check_url(value, where):
    """An http(s) URL with a host, or an absolute path on the hub's host (``/imprint``)."""
    text = _text(value, where, required=True)
    problem = None
    if re.search(r'[\s"\'<>\\`]', text) or any(ord(c) < 32 or ord(c) == 127 for c in text):
        problem = 'contains spaces, quotes or angle brackets'
    else:
        parts = urlsplit(text)
        if parts.scheme:
            if parts.scheme.lower() not in ('http', 'https'):
                problem = 'scheme %r is not http or https' % parts.scheme
            elif not parts.hostname:
                problem = 'has no host'
        elif not text.startswith('/') or text.startswith('//'):
            problem = 'is neither an http(s) URL nor a path starting with /'
    if problem:
        raise BrandingError('%s %r %s (use https://host/path or /path)' % (where, value, problem))
    return text


def _links(value, where='footer_links'):
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise BrandingError('%s: expected a list of {title, url}' % where)
    links = []
    for index, link in enumerate(value):
        item = '%s[%d]' % (where, index)
        _check_keys(link, LINK_KEYS, item)
        links.append({'title': _text(link.get('title'), '%s.title' % item, required=True),
                      'url': check_url(link.get('url'), '%s.url' % item)})
    return links


def check_css(value, where='custom_css'):
    text = _text(value, where, single_line=False)
    if '<' in text:
        raise BrandingError("%s: must not contain '<' (it is put inside the pages' <style> element)" % where)
    return text


# ------------------------------------------------------------------------------------------- logo ---

def _check_svg(data, where):
    if b'<!ENTITY' in data:
        raise BrandingError('%s: the SVG declares XML entities (<!ENTITY>); export it without a DTD' % where)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise BrandingError('%s is not a %s image (not well-formed XML: %s)' % (where, IMAGE_KINDS, exc))
    if root.tag == 'svg':
        raise BrandingError('%s: the <svg> root element has no xmlns="%s" (browsers do not show it as an image)'
                            % (where, SVG_NS))
    if root.tag != '{%s}svg' % SVG_NS:
        raise BrandingError('%s is not a %s image (XML whose root element is %s, not <svg>)'
                            % (where, IMAGE_KINDS, root.tag))
    for element in root.iter():
        tag = element.tag.rsplit('}', 1)[-1] if _is_string(element.tag) else ''
        if tag.lower() in ('script', 'foreignobject'):
            raise BrandingError('%s: the SVG contains <%s>; the hub serves the logo from its own origin, '
                                'remove it' % (where, tag))
        for name, attribute in element.attrib.items():
            local = name.rsplit('}', 1)[-1]
            if local.lower().startswith('on'):
                raise BrandingError('%s: the SVG has an event handler (%s=...); the hub serves the logo from its '
                                    'own origin, remove it' % (where, local))
            if name in SVG_REFERENCE_ATTRIBUTES and attribute.strip().lower().startswith('javascript:'):
                raise BrandingError('%s: the SVG has a javascript: link; remove it' % where)


def logo_format(data, where='logo_path'):
    """('PNG'|'JPEG'|'GIF'|'WebP'|'SVG', file extension) of the logo's bytes, or BrandingError."""
    for name, extension, test in RASTER_FORMATS:
        if test(data):
            return name, extension
    head = data[3:] if data.startswith(b'\xef\xbb\xbf') else data
    if head.lstrip()[:1] == b'<':
        _check_svg(data, where)
        return 'SVG', 'svg'
    raise BrandingError('%s is not a %s image (it starts with %r)' % (where, IMAGE_KINDS, bytes(data[:8])))


def check_logo_max_bytes(value, where='logo_max_bytes'):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BrandingError('%s: %r is not a positive number of bytes' % (where, value))
    if value > LOGO_MAX_BYTES_CEILING:
        raise BrandingError('%s: %d is more than %d (768 KiB): base64-encoded, a larger logo does not fit the '
                            "chart's hub Secret (1 MiB)" % (where, value, LOGO_MAX_BYTES_CEILING))
    return value


def read_logo(path, max_bytes=DEFAULT_LOGO_MAX_BYTES, where='logo_path'):
    """The logo's bytes and (format, extension); the size is checked before the file is read."""
    max_bytes = check_logo_max_bytes(max_bytes)
    if not path:
        raise BrandingError('%s is required' % where)
    label = '%s %r' % (where, path)
    if not os.path.exists(path):
        raise BrandingError('%s: no such file' % label)
    if not os.path.isfile(path):
        raise BrandingError('%s is not a file' % label)
    size = os.path.getsize(path)
    if size == 0:
        raise BrandingError('%s is empty' % label)
    if size > max_bytes:
        raise BrandingError('%s is %s KiB (%d bytes), more than logo_max_bytes %d (%s KiB)'
                            % (label, _kib(size), size, max_bytes, _kib(max_bytes)))
    try:
        with open(path, 'rb') as handle:
            data = handle.read(max_bytes + 1)
    except (IOError, OSError) as exc:
        raise BrandingError('%s cannot be read: %s' % (label, exc.strerror or exc))
    if len(data) > max_bytes:
        raise BrandingError('%s is more than logo_max_bytes %d' % (label, max_bytes))
    return data, logo_format(data, label)


# -------------------------------------------------------------------------------------- templates ---

def _environment():
    if not HAS_JINJA2:
        raise BrandingError('the Python library jinja2 is required on the controller (%s)' % JINJA2_IMPORT_ERROR)
    # as JupyterHub's (autoescape, async); only parsed and compiled here, never rendered
    return Environment(autoescape=True, enable_async=True)


def parse_template(name, source, where=None):
    """(the template it extends or None, the set of its block names); syntax errors raise BrandingError."""
    where = where or 'templates[%r]' % name
    if not _is_string(source):
        raise BrandingError('%s: expected the template text, got %s' % (where, type(source).__name__))
    env = _environment()
    try:
        tree = env.parse(source, name=name)
        env.compile(tree, name=name, filename=name)
    except TemplateSyntaxError as exc:
        raise BrandingError('%s line %s: syntax error: %s' % (where, exc.lineno, _one_line(exc.message)))
    extends = list(tree.find_all(nodes.Extends))
    parent = None
    if len(extends) > 1:
        raise BrandingError('%s line %s: extends more than one template' % (where, extends[1].lineno))
    if extends:
        target = extends[0].template
        if not isinstance(target, nodes.Const) or not _is_string(target.value):
            raise BrandingError('%s line %s: extends must name the template as a string, like '
                                '{%% extends "templates/%s" %%}' % (where, extends[0].lineno, name))
        if extends[0] not in tree.body:
            raise BrandingError('%s line %s: extends must be at the top level of the template, not inside a '
                                'block, if or loop' % (where, extends[0].lineno))
        parent = target.value
    return parent, frozenset(block.name for block in tree.find_all(nodes.Block))


def stock_templates_from_dir(path):
    """STOCK_TEMPLATES read from a JupyterHub's share/jupyterhub/templates directory."""
    where = 'jupyterhub_templates_dir %r' % path
    if not os.path.isdir(path):
        raise BrandingError('%s is not a directory' % where)
    stock = {}
    for name in sorted(os.listdir(path)):
        if not name.endswith('.html') or not os.path.isfile(os.path.join(path, name)):
            continue
        with open(os.path.join(path, name), 'rb') as handle:
            source = handle.read().decode('utf-8')
        stock[name] = parse_template(name, source, where='%s: %s' % (where, name))
    if 'page.html' not in stock or 'login.html' not in stock:
        raise BrandingError('%s has no page.html and login.html: give the templates directory of a JupyterHub '
                            '(<prefix>/share/jupyterhub/templates)' % where)
    return stock


def _chain_blocks(reference, ours, stock, seen, stock_label):
    """The blocks of ``reference`` and of every template above it, resolved as JupyterHub's loader does.

    ``templates/<name>`` is the stock template; any other name is looked up in template_paths (ours)
    first, then in the stock directory: a stock page extending "page.html" gets our page.html.
    """
    if reference.startswith(STOCK_PREFIX):
        key = ('stock', reference[len(STOCK_PREFIX):])
    elif reference in ours:
        key = ('ours', reference)
    else:
        key = ('stock', reference)
    if key in seen:
        chain = [name for dummy, name in seen + [key]]
        raise BrandingError('extends loop %s; extend the stock page with {%% extends "%s%s" %%}'
                            % (' -> '.join(chain), STOCK_PREFIX, key[1]))
    table = ours if key[0] == 'ours' else stock
    if key[1] not in table:
        if reference.startswith(STOCK_PREFIX):
            raise BrandingError('extends %r, which is not a stock template of %s (%s)'
                                % (reference, stock_label, ', '.join(sorted(stock))))
        raise BrandingError('extends %r, which is neither one of these templates nor a stock one of %s'
                            % (reference, stock_label))
    parent, blocks = table[key[1]]
    blocks = set(blocks)
    if parent is not None:
        blocks |= _chain_blocks(parent, ours, stock, seen + [key], stock_label)
    return blocks


def check_templates(templates, stock=None):
    """Parse every template (name -> text) and check what it extends and its blocks.

    A template that extends another may only define blocks of the chain above it (Jinja would
    drop the others without a word). ``stock``: STOCK_TEMPLATES or stock_templates_from_dir().
    """
    stock_label = 'JupyterHub %s' % JUPYTERHUB_VERSION if stock is None else 'jupyterhub_templates_dir'
    stock = STOCK_TEMPLATES if stock is None else stock
    parsed = {}
    for name in sorted(templates):
        parsed[name] = parse_template(name, templates[name])
    for name in sorted(parsed):
        if parsed[name][0] == name:
            raise BrandingError('templates[%r] extends itself; extend the stock page with {%% extends "%s%s" %%}'
                                % (name, STOCK_PREFIX, name))
    for name in sorted(parsed):
        parent, blocks = parsed[name]
        if parent is None:
            continue  # a page of its own (or a part to include): nothing is dropped silently
        where = 'templates[%r]' % name
        try:
            available = _chain_blocks(parent, parsed, stock, [('ours', name)], stock_label)
        except BrandingError as exc:
            raise BrandingError('%s %s' % (where, exc))
        unknown = sorted(blocks - available)
        if unknown:
            near = difflib.get_close_matches(unknown[0], sorted(available), n=1)
            raise BrandingError('%s: block %r is not in %s (%s)%s; its blocks are: %s' % (
                where, unknown[0], parent, stock_label, ("; did you mean %r?" % near[0]) if near else '',
                ', '.join(sorted(available))))
    return parsed


# -------------------------------------------------------------------------------------- rendering ---

def _files_dir(value):
    path = _text(value, 'files_dir', required=True)
    if not path.startswith('/') or '..' in path.split('/') or not re.match(r'^[A-Za-z0-9_./-]+$', path):
        raise BrandingError('files_dir %r: expected an absolute path in the hub container '
                            '(letters, digits, _ . - /), like %s' % (value, DEFAULT_FILES_DIR))
    return path.rstrip('/') or '/'


def _user_templates(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BrandingError('templates: expected a dictionary of template name -> template text')
    for name in value:
        if not _is_string(name) or not TEMPLATE_NAME_RE.match(name):
            raise BrandingError('templates: %r is not a template file name (letters, digits, _ . -, ending in '
                                '.html, no directories)' % (name,))
    return dict(value)


def render_branding(product_name, login_heading=None, login_message=None, primary_colour=None,
                    footer_links=None, custom_css=None, logo=None, templates=None, stock_templates=None,
                    files_dir=DEFAULT_FILES_DIR):
    """The z2jh values fragment for the branding (see the module docstring); raises BrandingError.

    ``logo``: (bytes, (format, extension)) as read_logo returns it, or None for JupyterHub's logo.
    ``templates``: more templates (name -> text); one named page.html or login.html replaces the
    module's own.
    """
    product_name = _text(product_name, 'product_name', required=True)
    heading = _text(login_heading, 'login_heading') or product_name
    message = _text(login_message, 'login_message', single_line=False)
    colour = parse_colour(primary_colour) if primary_colour not in (None, '') else ''
    links = _links(footer_links)
    css = check_css(custom_css)
    files_dir = _files_dir(files_dir)
    templates_dir = files_dir + '/templates'

    all_templates = dict(RENDERED_TEMPLATES)
    all_templates.update(_user_templates(templates))
    check_templates(all_templates, stock_templates)

    extra_files = {}
    for name in sorted(all_templates):
        extra_files[EXTRA_FILE_PREFIX + name] = {'mountPath': '%s/%s' % (templates_dir, name),
                                                 'stringData': all_templates[name]}
    hub = {
        'extraFiles': extra_files,
        'templatePaths': [templates_dir],
        'templateVars': {TEMPLATE_VAR: {
            'product_name': product_name,
            'login_heading': heading,
            'login_message': message,
            'footer_links': links,
            'primary_colour': colour,
            'primary_hover_colour': hover_colour(colour) if colour else '',
            'primary_text_colour': text_colour(colour) if colour else '',
            'custom_css': css,
        }},
    }
    if logo is not None:
        data, (dummy, extension) = logo
        logo_file = '%s/static/logo.%s' % (files_dir, extension)
        extra_files[EXTRA_FILE_PREFIX + 'logo'] = {'mountPath': logo_file,
                                                   'binaryData': base64.b64encode(data).decode('ascii')}
        hub['config'] = {'JupyterHub': {'logo_file': logo_file}}
    return {'hub': hub}
