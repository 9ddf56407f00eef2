# -*- coding: utf-8 -*-
"""jupyter_server configuration: department drives (dsaas_drives.DrivesContentsManager) in JupyterLab.

jupyter_server only reads files named jupyter_server_config.py (and .json, and jupyter_server_config.d/*.json) from
its config path, so the chart mounts this file as /usr/local/etc/jupyter/jupyter_server_config.py and dsaas_drives.py
beside it (or anywhere named by DSAAS_DRIVES_MODULE_DIR). That directory is put in front of sys.path for the server
and of PYTHONPATH for the kernels it starts, so that notebooks can `import dsaas_drives` too.
Started by hand: jupyter server --config=/path/to/jupyter_server_config_dsaas_drives.py
"""
import os
import sys

_MODULE_DIR = os.environ.get('DSAAS_DRIVES_MODULE_DIR') or os.path.dirname(os.path.abspath(__file__))
if os.path.exists(os.path.join(_MODULE_DIR, 'dsaas_drives.py')):
    if _MODULE_DIR not in sys.path:
        sys.path.insert(0, _MODULE_DIR)
    _PYTHONPATH = [part for part in os.environ.get('PYTHONPATH', '').split(os.pathsep) if part]
    if _MODULE_DIR not in _PYTHONPATH:
        os.environ['PYTHONPATH'] = os.pathsep.join([_MODULE_DIR] + _PYTHONPATH)

c = get_config()  # noqa: F821 pylint: disable=undefined-variable
c.ServerApp.contents_manager_class = 'dsaas_drives.DrivesContentsManager'
