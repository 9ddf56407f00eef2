# -*- coding: utf-8 -*-
"""Department drives in a user's notebook server: SMB/DFS shares reached with the user's own Kerberos ticket.

Mounted into the user pod by the dsaas.platform chart values (singleuser.extraFiles) next to
jupyter_server_config_dsaas_drives.py. The hub puts, for every user:

* KRB5CCNAME=FILE:/var/run/dsaas/krb5/ccache: the ticket obtained at login (mode 0400, owned by the notebook uid),
* KRB5_CONFIG: the realm's krb5.conf,
* DSAAS_DRIVES: JSON list of {"name": "research", "path": "\\\\server\\dfs\\research"} for the user's groups,
* DSAAS_DRIVES_STATUS: "ok", or "log in again: <reason>" when the hub could not get a ticket.

Two ways to use the drives, both with this process's ticket only (no password, no mount, no privileges):

* from Python in a notebook::

    import dsaas_drives
    dsaas_drives.drives()                                  # [{'name': 'research', 'path': ..., 'status': 'ok'}]
    dsaas_drives.listdir('research/sub')
    with dsaas_drives.open('research/sub/file.csv') as handle:
        ...
    fs = dsaas_drives.DriveFS(ccache='FILE:/path/to/other/ccache')   # explicit ticket, own connections

* in JupyterLab's file browser, through DrivesContentsManager: the home directory as usual, plus a virtual
  directory ``drives/<name>/...`` per drive, served over SMB.

Every DriveFS passes its ticket explicitly (``spnego.KerberosCCache``) and keeps its own smbprotocol connection
cache: smbprotocol's process-global pool would hand a session to whoever asks next for the same server.

Requires smbprotocol and pyspnego[kerberos] (python-gssapi, MIT libkrb5) when a drive is used, and
jupyter_server for DrivesContentsManager; both are imported only when needed.
"""
import base64
import datetime
import errno
import json
import mimetypes
import os
import posixpath
import re
import threading

__all__ = ['DriveFS', 'LoginRequired', 'configured_drives', 'drives', 'default_fs',
           'open', 'listdir', 'scandir', 'stat', 'exists', 'isdir', 'remove', 'mkdir', 'makedirs', 'rmdir',
           'rename', 'read_text', 'write_text', 'read_bytes', 'write_bytes', 'jupyter_config']

DRIVES_ENV = 'DSAAS_DRIVES'
STATUS_ENV = 'DSAAS_DRIVES_STATUS'
CCACHE_ENV = 'KRB5CCNAME'
STATUS_OK = 'ok'
LOGIN_PREFIX = 'log in again: '
VIRTUAL_ROOT = 'drives'
MARKER_PREFIX = 'LOG IN AGAIN - '
CONTENTS_MANAGER = 'dsaas_drives.DrivesContentsManager'

NT_STATUS_ACCESS_DENIED = 0xC0000022
# the session is gone on the server's side (ticket end time reached, server restarted): reconnect once
NT_STATUS_SESSION_GONE = (0xC000035C, 0xC0000203)  # NETWORK_SESSION_EXPIRED, USER_SESSION_DELETED

_FILE_ATTRIBUTE_READONLY = 0x1
_FILE_ATTRIBUTE_HIDDEN = 0x2
_FILE_ATTRIBUTE_DIRECTORY = 0x10
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class LoginRequired(PermissionError):
    """The drive cannot be used until the user logs in to the hub again (no ticket, expired, refused)."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(errno.EACCES, LOGIN_PREFIX + reason)

    def __str__(self):
        return LOGIN_PREFIX + self.reason


def configured_drives(environ=None):
    """The drives the hub configured (DSAAS_DRIVES), as a list of {'name', 'path'} with backslash UNC paths."""
    environ = os.environ if environ is None else environ
    text = (environ.get(DRIVES_ENV) or '').strip()
    if not text:
        return []
    try:
        items = json.loads(text)
    except ValueError:
        return []
    result = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name, path = str(item.get('name') or '').strip(), str(item.get('path') or '').strip()
        if not name or not path or '/' in name or '\\' in name or name in ('.', '..'):
            continue
        result.append({'name': name, 'path': _unc(path)})
    return result


def _unc(path):
    """\\\\server\\share\\... from a UNC path written with either slash; no trailing separator."""
    return '\\\\' + path.replace('/', '\\').strip('\\')


def _status_reason(status):
    """None when the hub's status is ok, else the reason to log in again."""
    status = (status or STATUS_OK).strip()
    if status.lower() == STATUS_OK:
        return None
    if status.lower().startswith(LOGIN_PREFIX):
        status = status[len(LOGIN_PREFIX):].strip()
    return status or 'no ticket'


def _auth_reason(err):
    """A short reason from an authentication failure (gssapi/spnego/smbprotocol message)."""
    text = str(err)
    for needle, reason in (('expired', 'Kerberos ticket expired'),
                           ('No credentials cache found', 'no Kerberos ticket'),
                           ('No Kerberos credentials available', 'no Kerberos ticket'),
                           ('Clock skew', 'clock skew between the notebook and the domain'),
                           ('Cannot contact any KDC', 'the Kerberos server is unreachable'),
                           ('Server not found in Kerberos database', 'the file server is unknown to Kerberos')):
        if needle.lower() in text.lower():
            return reason
    return 'Kerberos ticket refused (%s)' % text.rsplit(': ', 1)[-1][:120]


def _timestamp(value):
    """datetime (aware) from an smbprotocol time (datetime, naive means UTC) or a POSIX timestamp."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    try:
        return datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return _EPOCH


class DriveFS:
    """Department drives with one user's ticket and connections of their own.

    ccache: the Kerberos credential cache ('FILE:/path'); default KRB5CCNAME.
    drives: list of {'name', 'path'}; default DSAAS_DRIVES. status: default DSAAS_DRIVES_STATUS.
    Paths are 'research/sub/file.csv' (drive name first, 'drives/research/...' too) or UNC paths.
    """

    def __init__(self, ccache=None, drives=None, status=None, connection_timeout=30, environ=None):
        environ = os.environ if environ is None else environ
        self.ccache = environ.get(CCACHE_ENV, '') if ccache is None else ccache
        self.drives = configured_drives(environ) if drives is None else [
            {'name': item['name'], 'path': _unc(item['path'])} for item in drives]
        self.status = environ.get(STATUS_ENV, STATUS_OK) if status is None else status
        self.connection_timeout = connection_timeout
        self.connection_cache = {}
        self._lock = threading.RLock()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return '<DriveFS ccache=%r drives=%s>' % (self.ccache, [item['name'] for item in self.drives])

    # -- state -----------------------------------------------------------------------------------------
    def login_problem(self):
        """None when a ticket is there and valid, else the reason to log in again (no network involved)."""
        reason = _status_reason(self.status)
        if reason:
            return reason
        if not self.ccache:
            return 'no Kerberos ticket (%s is not set)' % CCACHE_ENV
        kind, _sep, residual = self.ccache.rpartition(':') if ':' in self.ccache else ('FILE', ':', self.ccache)
        if kind.upper() == 'FILE' and not os.path.exists(residual):
            return 'no Kerberos ticket'
        try:
            import gssapi  # pylint: disable=import-outside-toplevel
        except ImportError:
            return None
        try:
            lifetime = gssapi.Credentials(usage='initiate', store={'ccache': self.ccache}).lifetime
        except gssapi.exceptions.ExpiredCredentialsError:
            return 'Kerberos ticket expired'
        except gssapi.exceptions.GSSError as err:
            return _auth_reason(err)
        if lifetime is not None and lifetime <= 0:
            return 'Kerberos ticket expired'
        return None

    def drive(self, name):
        for item in self.drives:
            if item['name'] == name:
                return item
        return None

    def info(self, check=False):
        """The configured drives with their status: 'ok' or 'log in again: <reason>'; with check=True each drive
        is also listed on the server, which may give 'access denied' or another error."""
        problem = self.login_problem()
        result = []
        for item in self.drives:
            status = LOGIN_PREFIX + problem if problem else STATUS_OK
            if check and not problem:
                try:
                    self.listdir(item['path'])
                except LoginRequired as err:
                    status = str(err)
                except OSError as err:
                    status = 'access denied' if getattr(err, 'ntstatus', None) == NT_STATUS_ACCESS_DENIED else str(err)
            result.append({'name': item['name'], 'path': item['path'], 'status': status})
        return result

    def close(self):
        """Closes this user's connections (never anyone else's)."""
        with self._lock:
            if self.connection_cache:
                from smbclient import reset_connection_cache  # pylint: disable=import-outside-toplevel
                reset_connection_cache(fail_on_error=False, connection_cache=self.connection_cache)
            self.connection_cache.clear()

    # -- paths -----------------------------------------------------------------------------------------
    def unc(self, path):
        """The UNC path of 'research/sub/file', 'drives/research/sub/file' or an UNC path."""
        path = str(path)
        if path.startswith('\\\\') or path.startswith('//'):
            return _unc(path)
        parts = [part for part in path.replace('\\', '/').split('/') if part not in ('', '.')]
        if parts and parts[0] == VIRTUAL_ROOT and len(parts) > 1 and not self.drive(VIRTUAL_ROOT):
            parts = parts[1:]
        if not parts or not self.drive(parts[0]):
            known = ', '.join(item['name'] for item in self.drives) or 'none configured'
            raise FileNotFoundError(errno.ENOENT, 'no such drive (drives: %s)' % known, path)
        if '..' in parts:
            raise ValueError('.. is not allowed in drive paths: %r' % path)
        return '\\'.join([self.drive(parts[0])['path']] + parts[1:])

    # -- SMB calls -------------------------------------------------------------------------------------
    def _kwargs(self):
        import spnego  # pylint: disable=import-outside-toplevel
        return {'username': spnego.KerberosCCache(ccache=self.ccache), 'password': None, 'auth_protocol': 'kerberos',
                'connection_cache': self.connection_cache, 'connection_timeout': self.connection_timeout}

    def call(self, function, *args, **kwargs):
        """function(*args, **kwargs) from smbclient with this user's ticket and connection cache."""
        from smbprotocol.exceptions import SMBAuthenticationError  # pylint: disable=import-outside-toplevel
        problem = self.login_problem()
        if problem:
            raise LoginRequired(problem)
        kwargs.update(self._kwargs())
        for attempt in (1, 2):
            try:
                with self._lock:
                    return function(*args, **kwargs)
            except SMBAuthenticationError as err:
                self.close()
                raise LoginRequired(_auth_reason(err)) from err
            except OSError as err:
                if attempt == 2 or getattr(err, 'ntstatus', None) not in NT_STATUS_SESSION_GONE:
                    raise
                self.close()
        raise AssertionError('unreachable')

    def open(self, path, mode='r', **kwargs):
        """A file object for the drive path, like open(): mode 'r', 'rb', 'w', 'wb', 'a', 'x', ..."""
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.open_file, self.unc(path), mode=mode, **kwargs)

    def listdir(self, path):
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.listdir, self.unc(path))

    def scandir(self, path):
        """[{'name', 'type' ('directory'/'file'), 'size', 'created', 'modified', 'readonly', 'hidden'}] from one
        directory query (no extra round trip per entry)."""
        import smbclient  # pylint: disable=import-outside-toplevel

        def entries(unc):
            result = []
            for entry in smbclient.scandir(unc, **self._kwargs()):
                info = entry.smb_info
                directory = bool(info.file_attributes & _FILE_ATTRIBUTE_DIRECTORY)
                result.append({'name': entry.name, 'type': 'directory' if directory else 'file',
                               'size': None if directory else info.end_of_file,
                               'created': _timestamp(info.creation_time), 'modified': _timestamp(info.last_write_time),
                               'readonly': bool(info.file_attributes & _FILE_ATTRIBUTE_READONLY),
                               'hidden': bool(info.file_attributes & _FILE_ATTRIBUTE_HIDDEN)})
            return result

        unc = self.unc(path)
        return self.call(lambda **_kwargs: entries(unc))

    def stat(self, path):
        """smbclient's SMBStatResult (st_mode, st_size, st_mtime, st_ctime, st_file_attributes, ...)."""
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.stat, self.unc(path))

    def exists(self, path):
        try:
            self.stat(path)
        except FileNotFoundError:
            return False
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                return False
            raise
        return True

    def isdir(self, path):
        import stat as stat_module  # pylint: disable=import-outside-toplevel
        try:
            return stat_module.S_ISDIR(self.stat(path).st_mode)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                return False
            raise

    def remove(self, path):
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.remove, self.unc(path))

    def mkdir(self, path):
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.mkdir, self.unc(path))

    def makedirs(self, path, exist_ok=False):
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.makedirs, self.unc(path), exist_ok=exist_ok)

    def rmdir(self, path):
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.rmdir, self.unc(path))

    def rename(self, src, dst):
        import smbclient  # pylint: disable=import-outside-toplevel
        return self.call(smbclient.rename, self.unc(src), self.unc(dst))

    def read_bytes(self, path):
        with self.open(path, 'rb') as handle:
            return handle.read()

    def write_bytes(self, path, data, append=False):
        with self.open(path, 'ab' if append else 'wb') as handle:
            handle.write(data)

    def read_text(self, path, encoding='utf-8'):
        return self.read_bytes(path).decode(encoding)

    def write_text(self, path, text, encoding='utf-8'):
        self.write_bytes(path, text.encode(encoding))


# -- module-level helpers with this process's ticket (KRB5CCNAME) ----------------------------------------
_DEFAULT = {}
_DEFAULT_LOCK = threading.Lock()


def default_fs():
    """The DriveFS of this process (KRB5CCNAME, DSAAS_DRIVES), made on first use."""
    with _DEFAULT_LOCK:
        if 'fs' not in _DEFAULT:
            _DEFAULT['fs'] = DriveFS()
        return _DEFAULT['fs']


def drives(check=False):
    """The configured drives with their status ('ok' or 'log in again: <reason>'; check=True asks the server)."""
    return default_fs().info(check=check)


def open(path, mode='r', **kwargs):  # pylint: disable=redefined-builtin
    return default_fs().open(path, mode, **kwargs)


def listdir(path):
    return default_fs().listdir(path)


def scandir(path):
    return default_fs().scandir(path)


def stat(path):
    return default_fs().stat(path)


def exists(path):
    return default_fs().exists(path)


def isdir(path):
    return default_fs().isdir(path)


def remove(path):
    return default_fs().remove(path)


def mkdir(path):
    return default_fs().mkdir(path)


def makedirs(path, exist_ok=False):
    return default_fs().makedirs(path, exist_ok=exist_ok)


def rmdir(path):
    return default_fs().rmdir(path)


def rename(src, dst):
    return default_fs().rename(src, dst)


def read_text(path, encoding='utf-8'):
    return default_fs().read_text(path, encoding)


def write_text(path, text, encoding='utf-8'):
    return default_fs().write_text(path, text, encoding)


def read_bytes(path):
    return default_fs().read_bytes(path)


def write_bytes(path, data, append=False):
    return default_fs().write_bytes(path, data, append)


def jupyter_config(config):
    """Selects DrivesContentsManager in a jupyter_server config (c = get_config(); jupyter_config(c))."""
    config.ServerApp.contents_manager_class = CONTENTS_MANAGER
    return config


# -- JupyterLab: the contents manager --------------------------------------------------------------------
def _marker_name(reason):
    """A file name that shows the reason in the file browser."""
    text = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', ' ', reason).strip() or 'no ticket'
    return '%s%s.txt' % (MARKER_PREFIX, text[:120].rstrip())


def _marker_text(name, path, reason):
    return ('The department drive %s (%s) needs a valid Kerberos ticket: %s.\n\n'
            'Log out of the hub and log in again (File > Log Out, then log in): the hub gets a new ticket at login\n'
            'and a restarted server picks it up. Your home directory is not affected.\n') % (name, path, reason)


def _http_status(err):
    """HTTP status for an OSError from SMB."""
    if getattr(err, 'ntstatus', None) == NT_STATUS_ACCESS_DENIED or isinstance(err, PermissionError) \
            or err.errno in (errno.EACCES, errno.EPERM):
        return 403
    if err.errno in (errno.ENOENT, errno.ENOTDIR) or isinstance(err, FileNotFoundError):
        return 404
    if err.errno == errno.EEXIST:
        return 409
    if err.errno in (errno.ENOTEMPTY, errno.EISDIR, errno.EINVAL):
        return 400
    return 500


def _contents_manager_class():  # pylint: disable=too-many-statements
    """DrivesContentsManager, built on first use so that this module imports without jupyter_server."""
    # pylint: disable=import-outside-toplevel,import-error
    import asyncio
    import functools
    import nbformat
    from jupyter_server.files.handlers import FilesHandler
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupyter_server.services.contents.manager import AsyncContentsManager
    from tornado import web
    from traitlets import default

    class DrivesContentsManager(AsyncLargeFileManager):  # pylint: disable=abstract-method
        """The home directory as AsyncLargeFileManager serves it, plus drives/<name>/... over SMB with the user's
        Kerberos ticket. Nothing is contacted before a drive is opened; a missing, expired or refused ticket makes
        the drive an empty read-only directory holding one file named 'LOG IN AGAIN - <reason>.txt'."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._drivefs = None
            self._executor = None

        @default('files_handler_class')
        def _files_handler_class_default(self):
            # /files/ (downloads, images in notebooks) through get(), so that drive files are served too
            return FilesHandler

        @default('files_handler_params')
        def _files_handler_params_default(self):
            return {}

        # -- plumbing ------------------------------------------------------------------------------
        @property
        def drivefs(self):
            if self._drivefs is None:
                self._drivefs = DriveFS()
            return self._drivefs

        def _split(self, path):
            """None for a home path, else (drive name or None, rest) for the virtual tree."""
            path = path.strip('/')
            if not self._virtual_active() or path.split('/', 1)[0] != VIRTUAL_ROOT:
                return None
            parts = path.split('/', 2)[1:]
            return (parts[0] if parts else None), (parts[1] if len(parts) > 1 else '')

        def _virtual_active(self):
            fs = self.drivefs
            return bool(fs.drives) or _status_reason(fs.status) is not None

        async def _run(self, function, *args, **kwargs):
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix='dsaas-drives')
            return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(function, *args, **kwargs))

        def _drive_or_404(self, name):
            drive = self.drivefs.drive(name)
            if drive is None:
                raise web.HTTPError(404, 'No such drive: %s' % name)
            return drive

        def _smb_path(self, name, rest):
            return '/'.join([name] + ([rest] if rest else []))

        def _error(self, err, name, rest, action):
            if isinstance(err, LoginRequired):
                return web.HTTPError(403, '%s: %s' % (self._smb_path(name, rest), err), reason='Log in again')
            if isinstance(err, OSError):
                status = _http_status(err)
                where = '%s (%s)' % (posixpath.join(VIRTUAL_ROOT, self._smb_path(name, rest)), self.drivefs.unc(self._smb_path(name, rest)))
                if status == 403:
                    text = 'Access denied: %s: your account may not %s this on the department drive %s' % (where, action, name)
                else:
                    text = 'Cannot %s %s: %s' % (action, where, getattr(err, 'strerror', None) or err)
                return web.HTTPError(status, text)
            return web.HTTPError(500, 'Cannot %s %s/%s: %s' % (action, VIRTUAL_ROOT, self._smb_path(name, rest), err))

        @staticmethod
        def _drive_model(path, kind, writable=True, created=None, modified=None, size=None, mimetype=None):
            return {'name': posixpath.basename(path), 'path': path, 'type': kind, 'writable': writable,
                    'created': created or _EPOCH, 'last_modified': modified or created or _EPOCH, 'size': size,
                    'mimetype': mimetype, 'content': None, 'format': None, 'hash': None, 'hash_algorithm': None}

        def _virtual_dir(self, path, content, entries, writable=False, message=None):
            model = self._drive_model(path, 'directory', writable=writable)
            if content:
                model['content'], model['format'] = entries, 'json'
            if message:
                model['message'] = message
            return model

        def _login_marker(self, name, reason, content=False):
            path = posixpath.join(VIRTUAL_ROOT, name, _marker_name(reason))
            text = _marker_text(name, self.drivefs.drive(name)['path'], reason)
            model = self._drive_model(path, 'file', writable=False, created=datetime.datetime.now(datetime.timezone.utc),
                                      size=len(text.encode('utf-8')), mimetype='text/plain')
            if content:
                model['content'], model['format'] = text, 'text'
            return model

        def _drives_root(self, content):
            entries = [self._virtual_dir(posixpath.join(VIRTUAL_ROOT, item['name']), False, None)
                       for item in self.drivefs.drives]
            reason = _status_reason(self.drivefs.status)
            return self._virtual_dir(VIRTUAL_ROOT, content, entries, message=LOGIN_PREFIX + reason if reason else None)

        # -- reading -------------------------------------------------------------------------------
        async def get(self, path, content=True, type=None, format=None, require_hash=False):  # pylint: disable=redefined-builtin
            split = self._split(path)
            if split is None:
                model = await super().get(path, content=content, type=type, format=format, require_hash=require_hash)
                if path.strip('/') == '' and content and self._virtual_active() and \
                        not any(entry['name'] == VIRTUAL_ROOT for entry in model['content']):
                    model['content'].append(self._virtual_dir(VIRTUAL_ROOT, False, None))
                return model
            name, rest = split
            if name is None:
                if type not in (None, 'directory'):
                    raise web.HTTPError(400, '%s is a directory' % VIRTUAL_ROOT, reason='bad type')
                return self._drives_root(content)
            drive = self._drive_or_404(name)
            path = posixpath.join(VIRTUAL_ROOT, self._smb_path(name, rest))
            reason = await self._run(self.drivefs.login_problem)
            if reason:
                marker = self._login_marker(name, reason)
                if not rest:
                    return self._virtual_dir(path, content, [marker], message=LOGIN_PREFIX + reason)
                if rest == marker['name']:
                    return self._login_marker(name, reason, content=content)
                raise web.HTTPError(403, '%s: %s%s' % (path, LOGIN_PREFIX, reason), reason='Log in again')
            try:
                model = await self._run(self._smb_get, name, rest, content, type, format)
                if model['type'] == 'notebook' and content:
                    self.mark_trusted_cells(model['content'], path)  # the notary's sqlite belongs to this thread
                    self.validate_notebook_model(model)
                return model
            except web.HTTPError:
                raise
            except LoginRequired as err:
                if not rest:
                    return self._virtual_dir(path, content, [self._login_marker(name, err.reason)], message=str(err))
                raise self._error(err, name, rest, 'read') from err
            except (OSError, ValueError) as err:
                self.log.warning('drive %s (%s): %s', name, drive['path'], err)
                raise self._error(err, name, rest, 'read') from err

        def _smb_get(self, name, rest, content, type_, format_):  # pylint: disable=too-many-arguments,too-many-positional-arguments
            import stat as stat_module
            fs = self.drivefs
            smb_path = self._smb_path(name, rest)
            path = posixpath.join(VIRTUAL_ROOT, smb_path)
            st = fs.stat(smb_path)
            created, modified = _timestamp(st.st_ctime), _timestamp(st.st_mtime)
            writable = not st.st_file_attributes & _FILE_ATTRIBUTE_READONLY
            if stat_module.S_ISDIR(st.st_mode):
                if type_ not in (None, 'directory'):
                    raise web.HTTPError(400, '%s is a directory, not a %s' % (path, type_), reason='bad type')
                model = self._drive_model(path, 'directory', writable=True, created=created, modified=modified)
                if content:
                    entries = []
                    for entry in fs.scandir(smb_path):
                        if entry['name'] in ('.', '..') or (entry['hidden'] and not self.allow_hidden) or \
                                (entry['name'].startswith('.') and not self.allow_hidden):
                            continue
                        child = posixpath.join(path, entry['name'])
                        kind = entry['type']
                        if kind == 'file' and entry['name'].endswith('.ipynb'):
                            kind = 'notebook'
                        mimetype = None if kind == 'directory' else (mimetypes.guess_type(entry['name'])[0] if kind == 'file' else None)
                        entries.append(self._drive_model(child, kind, writable=not entry['readonly'], created=entry['created'],
                                                         modified=entry['modified'], size=entry['size'], mimetype=mimetype))
                    model['content'], model['format'] = entries, 'json'
                return model
            if type_ == 'directory':
                raise web.HTTPError(400, '%s is not a directory' % path, reason='bad type')
            notebook = type_ == 'notebook' or (type_ is None and path.endswith('.ipynb'))
            guessed = mimetypes.guess_type(path)[0]
            model = self._drive_model(path, 'notebook' if notebook else 'file', writable=writable, created=created,
                                      modified=modified, size=st.st_size, mimetype=None if notebook else guessed)
            if not content:
                return model
            data = fs.read_bytes(smb_path)
            if notebook:
                try:
                    nb = nbformat.reads(data.decode('utf-8'), as_version=4)
                except Exception as err:  # nbformat raises many kinds: all mean "not a notebook"
                    raise web.HTTPError(400, 'Unreadable notebook: %s %s' % (path, err)) from err
                model['content'], model['format'] = nb, 'json'  # trust and validation: in get(), in the loop's thread
                return model
            if format_ != 'base64':
                try:
                    model['content'], model['format'] = data.decode('utf-8'), 'text'
                    model['mimetype'] = guessed or 'text/plain'
                    return model
                except UnicodeDecodeError as err:
                    if format_ == 'text':
                        raise web.HTTPError(400, '%s is not UTF-8 encoded' % path, reason='bad format') from err
            model['content'], model['format'] = base64.b64encode(data).decode('ascii'), 'base64'
            model['mimetype'] = guessed or 'application/octet-stream'
            return model

        # -- writing -------------------------------------------------------------------------------
        async def save(self, model, path=''):
            split = self._split(path)
            if split is None:
                return await super().save(model, path)
            name, rest = split
            if name is None or not rest:
                raise web.HTTPError(403, 'The drives directory and the drives themselves cannot be written')
            self._drive_or_404(name)
            if 'type' not in model:
                raise web.HTTPError(400, 'No file type provided')
            if 'content' not in model and model['type'] != 'directory':
                raise web.HTTPError(400, 'No file content provided')
            chunk = model.get('chunk')
            if chunk in (None, 1):
                self.run_pre_save_hooks(model=model, path=path.strip('/'))
            data, message = None, None
            if model['type'] == 'notebook':
                nb = nbformat.from_dict(model['content'])
                self.check_and_sign(nb, path)
                data = nbformat.writes(nb, version=nbformat.NO_CONVERT).encode('utf-8')
                self.validate_notebook_model(model)
                message = model.get('message')
            elif model['type'] == 'file':
                fmt = model.get('format')
                try:
                    data = base64.b64decode(model['content'].encode('ascii')) if fmt == 'base64' else model['content'].encode('utf-8')
                except (ValueError, AttributeError) as err:
                    raise web.HTTPError(400, 'Encoding error saving %s: %s' % (path, err)) from err
            elif model['type'] != 'directory':
                raise web.HTTPError(400, 'Unhandled contents type: %s' % model['type'])
            try:
                await self._run(self._smb_save, self._smb_path(name, rest), data, chunk not in (None, 1))
            except web.HTTPError:
                raise
            except (OSError, ValueError) as err:
                raise self._error(err, name, rest, 'write') from err
            result = await self.get(path, content=False)
            if message:
                result['message'] = message
            return result

        def _smb_save(self, smb_path, data, append):
            fs = self.drivefs
            if data is None:
                if not fs.isdir(smb_path):
                    fs.mkdir(smb_path)
                return
            fs.write_bytes(smb_path, data, append=append)

        async def delete_file(self, path):
            split = self._split(path)
            if split is None:
                return await super().delete_file(path)
            name, rest = split
            if name is None or not rest:
                raise web.HTTPError(403, 'The drives directory and the drives themselves cannot be deleted')
            self._drive_or_404(name)
            smb_path = self._smb_path(name, rest)
            try:
                if await self._run(self.drivefs.isdir, smb_path):
                    await self._run(self.drivefs.rmdir, smb_path)
                else:
                    await self._run(self.drivefs.remove, smb_path)
            except (OSError, ValueError) as err:
                raise self._error(err, name, rest, 'delete') from err
            return None

        async def rename_file(self, old_path, new_path):
            old, new = self._split(old_path), self._split(new_path)
            if old is None and new is None:
                return await super().rename_file(old_path, new_path)
            if old is None or new is None or old[0] != new[0] or not old[1] or not new[1]:
                raise web.HTTPError(400, 'Moving between the home directory and a drive, or between drives, is not '
                                         'supported: copy the file, then delete it')
            name = old[0]
            self._drive_or_404(name)
            source, target = self._smb_path(name, old[1]), self._smb_path(name, new[1])
            if source == target:
                return None
            try:
                if await self._run(self.drivefs.exists, target):
                    raise web.HTTPError(409, 'File already exists: %s' % new_path.strip('/'))
                await self._run(self.drivefs.rename, source, target)
            except (OSError, ValueError) as err:
                raise self._error(err, name, old[1], 'rename') from err
            return None

        async def copy(self, from_path, to_path=None):
            if self._split(from_path) is None and (to_path is None or self._split(to_path) is None):
                return await super().copy(from_path, to_path)
            # through get() and save(): works between the home directory and a drive too
            return await AsyncContentsManager.copy(self, from_path, to_path)

        # -- questions -----------------------------------------------------------------------------
        async def _drive_kind(self, path):
            """'directory', 'file' or None for a path in the virtual tree."""
            name, rest = self._split(path)
            if name is None:
                return 'directory'
            if self.drivefs.drive(name) is None:
                return None
            if not rest:
                return 'directory'
            try:
                return 'directory' if await self._run(self.drivefs.isdir, self._smb_path(name, rest)) else \
                    ('file' if await self._run(self.drivefs.exists, self._smb_path(name, rest)) else None)
            except (OSError, ValueError):
                return None

        async def dir_exists(self, path):
            if self._split(path) is None:
                return await super().dir_exists(path)
            return await self._drive_kind(path) == 'directory'

        async def file_exists(self, path=''):
            if self._split(path) is None:
                return await super().file_exists(path)
            return await self._drive_kind(path) == 'file'

        async def is_hidden(self, path):
            if self._split(path) is None:
                return await super().is_hidden(path)
            return any(part.startswith('.') for part in path.strip('/').split('/'))

        async def get_kernel_path(self, path, model=None):
            if self._split(path) is None:
                return await super().get_kernel_path(path, model=model)
            return ''  # kernels of notebooks on a drive start in the home directory

        # -- checkpoints: not kept on drives (no extra files on the department's share) ------------
        async def create_checkpoint(self, path):
            if self._split(path) is None:
                return await super().create_checkpoint(path)
            return {'id': 'none', 'last_modified': datetime.datetime.now(datetime.timezone.utc)}

        async def list_checkpoints(self, path):
            if self._split(path) is None:
                return await super().list_checkpoints(path)
            return []

        async def restore_checkpoint(self, checkpoint_id, path):
            if self._split(path) is None:
                return await super().restore_checkpoint(checkpoint_id, path)
            raise web.HTTPError(400, 'No checkpoints are kept on department drives')

        async def delete_checkpoint(self, checkpoint_id, path):
            if self._split(path) is None:
                return await super().delete_checkpoint(checkpoint_id, path)
            return None

    return DrivesContentsManager


_CLASSES = {}


def __getattr__(name):
    """DrivesContentsManager on first access (traitlets imports it by name), so that jupyter_server is optional."""
    if name == 'DrivesContentsManager':
        if name not in _CLASSES:
            cls = _contents_manager_class()
            cls.__module__ = __name__
            _CLASSES[name] = cls
        return _CLASSES[name]
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
