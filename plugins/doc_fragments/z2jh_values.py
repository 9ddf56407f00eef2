# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The attributes of the modules that only render a z2jh values fragment (jupyterhub_branding, jupyterhub_profiles).
    DOCUMENTATION = r'''
attributes:
  check_mode:
    support: full
    description: Only computes values; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed; diff the values where they are applied (helm).
'''
