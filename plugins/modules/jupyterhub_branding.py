#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jupyterhub_branding
short_description: Render the JupyterHub login page and logo of the platform as zero-to-jupyterhub values
version_added: 0.1.0
description:
  - Checks the branding of the hub (product name, logo, primary colour, login heading and message,
    footer links, optional CSS and template overrides) and renders it for the zero-to-jupyterhub 4.4
    chart (JupyterHub 5.5.0) as C(hub.extraFiles) (the templates and the logo),
    C(hub.templatePaths), C(hub.templateVars) and C(hub.config.JupyterHub.logo_file).
  - The templates extend the stock pages instead of copying them. C(page.html) is
    C({% extends "templates/page.html" %}) with the blocks C(title) (product name), C(stylesheet)
    (primary colour and O(custom_css) after the stock stylesheet) and C(footer) (the footer links);
    every stock page extends C(page.html), so all hub pages get them. C(login.html) is
    C({% extends "templates/login.html" %}) with the heading and the message above the stock login
    form (block C(login_container), which keeps the stock content). A JupyterHub upgrade keeps the
    form working.
  - The texts are template variables (C(hub.templateVars.dsaas_branding)), escaped by JupyterHub when
    the page is rendered; the templates are constant.
  - The logo is read on the controller from O(logo_path), checked by its content (PNG, JPEG, GIF, WebP,
    or SVG whose root is C(<svg>) in the SVG namespace, without scripts) and its size
    (O(logo_max_bytes)), and mounted into the hub pod; JupyterHub serves it at C(/hub/logo), which the
    stock C(logo) block of C(page.html) shows.
  - Every template (the module's own and O(templates)) is compiled with Jinja; a syntax error fails
    with the template name and line. A template that extends another may only define blocks that
    template chain has (Jinja would drop any other block without a word); an unknown block fails,
    naming it and listing the valid ones. The stock blocks are those of JupyterHub 5.5.0, or those of
    the templates in O(jupyterhub_templates_dir).
  - Pure rendering, nothing is contacted or changed, so the result is always C(changed=false), also
    in check mode. Bad input fails with one line naming the option, and nothing is rendered.
author:
  - dsaas.platform maintainers (@dsaas-platform)
requirements:
  - jinja2 (on the controller; ansible-core depends on it)
options:
  product_name:
    description:
      - Name of the platform, the title of every hub page and the default O(login_heading).
    type: str
    required: true
  logo_path:
    description:
      - Path of the logo on the controller (the host the module runs on), a PNG, JPEG, GIF, WebP or SVG image.
      - An SVG must have C(xmlns="http://www.w3.org/2000/svg") on its root element and no scripts, event
        handlers, C(javascript:) links or entity declarations (JupyterHub serves it from the hub's own origin).
      - Without it the hub keeps the JupyterHub logo.
    type: path
  logo_max_bytes:
    description:
      - Largest logo accepted, in bytes (at most 786432, 768 KiB, because the chart keeps all C(hub.extraFiles)
        base64-encoded in one Secret of at most 1 MiB).
    type: int
    default: 262144
  primary_colour:
    description:
      - Primary colour, C(#rgb) or C(#rrggbb), for the buttons (the sign-in button) and the login heading.
        The button text is white or black, whichever contrasts more.
      - Without it the JupyterHub colours stay.
    type: str
    aliases: [primary_color]
  login_heading:
    description:
      - Heading above the login form. Defaults to O(product_name).
    type: str
  login_message:
    description:
      - Text under the heading (plain text; line breaks are kept). Empty for none.
    type: str
  footer_links:
    description:
      - Links at the bottom of every hub page, in this order (imprint, privacy policy, help desk).
    type: list
    elements: dict
    default: []
    suboptions:
      title:
        description:
          - Text of the link.
        type: str
        required: true
      url:
        description:
          - An C(http) or C(https) URL with a host, or a path on the hub's host starting with C(/).
        type: str
        required: true
  custom_css:
    description:
      - More CSS, put after the stock stylesheet and the colour on every hub page. It must not contain C(<).
    type: str
  templates:
    description:
      - More templates, template file name (like C(home.html)) to template text. Each should
        C({% extends "templates/<name>" %}) and override blocks, so a JupyterHub upgrade keeps working.
      - A template named C(page.html) or C(login.html) replaces the module's own (then the colour, footer
        links, heading and message are only shown if it uses C(dsaas_branding) itself).
      - Checked like the module's own templates (syntax, what it extends, its blocks).
      - Ansible evaluates C({{ }}) and C({% %}) in task arguments, so mark the text C(!unsafe) (or read it
        from a file with the C(file) lookup) so it reaches the module as written.
    type: dict
    default: {}
  jupyterhub_templates_dir:
    description:
      - The stock templates directory of another JupyterHub (C(<prefix>/share/jupyterhub/templates)) to
        check the templates' blocks against, instead of the blocks of JupyterHub 5.5.0 built into the module.
      - Use it to see whether the templates still fit a newer hub before upgrading the chart.
    type: path
  files_dir:
    description:
      - Directory in the hub container for the templates (C(<files_dir>/templates), the C(hub.templatePaths)
        entry) and the logo (C(<files_dir>/static/logo.<ext>)).
    type: str
    default: /usr/local/share/jupyterhub/dsaas
extends_documentation_fragment:
  - dsaas.platform.z2jh_values
notes:
  - The hub reads C(hub.extraFiles) when its pod starts; the chart restarts the hub when they change.
  - C(hub.templatePaths) is a list, and helm replaces lists instead of merging them; combine the values so
    that no other fragment sets it, or add its entries to this one.
  - The module runs where the logo is (the controller, C(localhost) in the collection's roles).
seealso:
  - module: dsaas.platform.jupyterhub_profiles
  - name: Working with templates and UI (JupyterHub)
    description: How JupyterHub finds templates and what C(templates/) in C(extends) means.
    link: https://jupyterhub.readthedocs.io/en/stable/howto/templates.html
'''

EXAMPLES = r'''
- name: Render the hub's branding
  dsaas.platform.jupyterhub_branding:
    product_name: Data Science Platform
    logo_path: "{{ inventory_dir }}/files/branding/logo.svg"
    primary_colour: "#005a9c"
    login_heading: Data Science Platform of the University Hospital
    login_message: |-
      Sign in with your hospital account (firstname.lastname).
      Help: servicedesk@hospital.example, phone 1234.
    footer_links:
      - title: Imprint
        url: https://www.hospital.example/imprint
      - title: Privacy policy
        url: https://www.hospital.example/privacy
    custom_css: |
      .dsaas-login-heading { font-weight: 300; }
  register: branding

- name: Add a notice to the home page (checked against the stock home.html)
  dsaas.platform.jupyterhub_branding:
    product_name: Data Science Platform
    templates:
      # !unsafe: Ansible must not evaluate the template itself
      home.html: !unsafe |
        {% extends "templates/home.html" %}
        {% block main %}
          <div class="container alert alert-info">Maintenance on Saturday 8:00-12:00.</div>
          {{ super() }}
        {% endblock main %}
  register: branding

- name: Check the templates against the next JupyterHub before upgrading the chart
  dsaas.platform.jupyterhub_branding:
    product_name: Data Science Platform
    jupyterhub_templates_dir: /opt/jupyterhub-next/share/jupyterhub/templates
  check_mode: true

- name: Use them in the chart's values
  ansible.builtin.set_fact:
    jupyterhub_values: "{{ jupyterhub_values | combine(branding.z2jh_values, recursive=true) }}"
'''

RETURN = r'''
z2jh_values:
  description:
    - The z2jh values fragment (not called C(values), which Jinja cannot reach with dot notation).
    - C(hub.extraFiles) holds the templates (C(dsaas-branding-<name>.html), C(stringData)) and the logo
      (C(dsaas-branding-logo), C(binaryData), base64); C(hub.templatePaths) the templates directory;
      C(hub.templateVars.dsaas_branding) the texts, links and colours the templates show;
      C(hub.config.JupyterHub.logo_file) the logo's path (only with O(logo_path)).
  returned: success
  type: dict
  contains:
    hub:
      description: C(extraFiles), C(templatePaths), C(templateVars) and, with a logo, C(config).
      type: dict
  sample:
    hub:
      extraFiles:
        dsaas-branding-login.html:
          mountPath: /usr/local/share/jupyterhub/dsaas/templates/login.html
          stringData: "{% extends \"templates/login.html\" %}\n{% block login_container %}..."
        dsaas-branding-page.html:
          mountPath: /usr/local/share/jupyterhub/dsaas/templates/page.html
          stringData: "{% extends \"templates/page.html\" %}\n{% block title %}..."
        dsaas-branding-logo:
          mountPath: /usr/local/share/jupyterhub/dsaas/static/logo.svg
          binaryData: PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4K
      templatePaths:
        - /usr/local/share/jupyterhub/dsaas/templates
      templateVars:
        dsaas_branding:
          product_name: Data Science Platform
          login_heading: Data Science Platform of the University Hospital
          login_message: Sign in with your hospital account.
          footer_links:
            - {title: Imprint, url: "https://www.hospital.example/imprint"}
            - {title: Privacy policy, url: "https://www.hospital.example/privacy"}
          primary_colour: "#005a9c"
          primary_hover_colour: "#004c85"
          primary_text_colour: "#ffffff"
          custom_css: ""
      config:
        JupyterHub:
          logo_file: /usr/local/share/jupyterhub/dsaas/static/logo.svg
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_branding import (
    DEFAULT_FILES_DIR,
    DEFAULT_LOGO_MAX_BYTES,
    BrandingError,
    check_logo_max_bytes,
    read_logo,
    render_branding,
    stock_templates_from_dir,
)


def argument_spec():
    return dict(
        product_name=dict(type='str', required=True),
        logo_path=dict(type='path'),
        logo_max_bytes=dict(type='int', default=DEFAULT_LOGO_MAX_BYTES),
        primary_colour=dict(type='str', aliases=['primary_color']),
        login_heading=dict(type='str'),
        login_message=dict(type='str'),
        footer_links=dict(type='list', elements='dict', default=[], options=dict(
            title=dict(type='str', required=True),
            url=dict(type='str', required=True),
        )),
        custom_css=dict(type='str'),
        templates=dict(type='dict', default={}),
        jupyterhub_templates_dir=dict(type='path'),
        files_dir=dict(type='str', default=DEFAULT_FILES_DIR),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        check_logo_max_bytes(params['logo_max_bytes'])
        stock = stock_templates_from_dir(params['jupyterhub_templates_dir']) \
            if params['jupyterhub_templates_dir'] else None
        logo = read_logo(params['logo_path'], params['logo_max_bytes']) if params['logo_path'] else None
        values = render_branding(
            params['product_name'], login_heading=params['login_heading'], login_message=params['login_message'],
            primary_colour=params['primary_colour'], footer_links=params['footer_links'],
            custom_css=params['custom_css'], logo=logo, templates=params['templates'], stock_templates=stock,
            files_dir=params['files_dir'])
    except BrandingError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, z2jh_values=values)


if __name__ == '__main__':
    main()
