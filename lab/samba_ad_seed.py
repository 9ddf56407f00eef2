"""Seed the lab Samba AD with the DSAAS OU, users, groups and the bind service account.

Idempotent and declarative: creates what is missing, corrects attributes, account flags and group
membership (exactly the members listed here), and resets a password only when the account does not
already accept the lab secret. Run by lab/services/20-samba-ad.sh right after provisioning, with:

  DSAAS_AD_URI                   ldaps://127.0.0.1:636
  DSAAS_AD_BASE_DN               DC=lab,DC=dsaas,DC=test
  DSAAS_AD_CA_FILE               the lab CA (certificate validation is always on)
  DSAAS_AD_ADMIN_PASSWORD_FILE   Administrator's password (lab_secret ad-administrator)
  DSAAS_AD_BIND_PASSWORD_FILE    svc-dsaas-bind's password (lab_secret ad-bind)
  DSAAS_AD_USERS_PASSWORD_FILE   every seeded user's password (lab_secret ad-users)

Passwords are read from files and never printed.
"""

import os
import sys

from ldap3 import BASE, LEVEL, MODIFY_REPLACE, NONE, SIMPLE, Connection, Server
from ldap3.core.exceptions import LDAPException

# The checkout as dsaas.platform (the link lab/lab makes): one certificate check for lab and collection.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".ansible", "collections"))
from ansible_collections.dsaas.platform.plugins.module_utils.ad import VerifyingTls  # noqa: E402  pylint: disable=wrong-import-position

REALM_DNS = "lab.dsaas.test"
UF_ACCOUNTDISABLE = 0x0002
UF_NORMAL_ACCOUNT = 0x0200
UF_DONT_EXPIRE_PASSWD = 0x10000
GLOBAL_SECURITY_GROUP = -2147483646  # ADS_GROUP_TYPE_GLOBAL_GROUP | ADS_GROUP_TYPE_SECURITY_ENABLED
NEVER = "-9223372036854775808"  # maxPwdAge meaning "passwords never expire"

OUS = ["DSAAS", "Users", "Groups", "Service Accounts"]  # the last three under OU=DSAAS

# name: (givenName, sn, disabled)
USERS = {
    "alice": ("Alice", "Anderson", False),
    "bob": ("Bob", "Brown", False),
    "carol": ("Carol", "Clark", False),
    "dave": ("Dave", "Davis", True),
    "erin": ("Erin", "Evans", False),
    "frank": ("Frank", "Fischer", False),
    "mallory": ("Mallory", "Moore", False),
}

# name: (description, members); a member is a user or another seeded group
GROUPS = {
    "dsaas-hub-access": ("May log in to the DSAAS hub", ["alice", "dave", "dsaas-researchers", "dsaas-students"]),
    "dsaas-researchers": ("DSAAS researchers", ["carol", "dsaas-research-lab-a"]),
    "dsaas-research-lab-a": ("DSAAS research lab A", ["erin"]),
    "dsaas-students": ("DSAAS students", ["bob", "frank"]),
    "dsaas-hub-admins": ("DSAAS hub administrators", ["alice"]),
}

SERVICE_ACCOUNTS = {
    "svc-dsaas-bind": "DSAAS LDAP bind account (lab)",
}


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set")
    return value


def secret(name):
    with open(env(name), encoding="utf-8") as f:
        return f.read().strip()


def server():
    # No schema: values stay as the server sends them (ldap3's AD validators reject e.g. maxPwdAge "never").
    return Server(env("DSAAS_AD_URI"), use_ssl=True, tls=VerifyingTls(env("DSAAS_AD_CA_FILE"), True),
                  get_info=NONE, connect_timeout=10)


def check(conn, what):
    if conn.result["result"] != 0:
        raise SystemExit(f"{what}: {conn.result['description']} {conn.result['message']}")


def exists(conn, dn):
    conn.search(dn, "(objectClass=*)", search_scope=BASE, attributes=["*"])
    return conn.entries[0] if conn.entries else None


def ensure_attrs(conn, dn, entry, wanted):
    changes = {}
    for attr, value in wanted.items():
        current = entry[attr].value if attr in entry else None
        if str(current) != str(value):
            changes[attr] = [(MODIFY_REPLACE, [value])]
    if changes:
        conn.modify(dn, changes)
        check(conn, f"modify {dn} {sorted(changes)}")
        print(f"updated {dn}: {', '.join(sorted(changes))}")


def accepts(srv, dn, password):
    """Whether the account's password is `password` (a disabled account says so with "data 533")."""
    conn = Connection(srv, user=dn, password=password, authentication=SIMPLE, raise_exceptions=False)
    try:
        return conn.bind() or ", data 533," in (conn.result.get("message") or "")
    finally:
        conn.unbind()


def unicode_pwd(password):
    return f'"{password}"'.encode("utf-16-le")


def ensure_account(conn, srv, dn, sam, attrs, password, uac_flags):
    """A user object with the given attributes, password and userAccountControl flags."""
    entry = exists(conn, dn)
    uac_wanted = UF_NORMAL_ACCOUNT | uac_flags
    if entry is None:
        conn.add(
            dn,
            ["top", "person", "organizationalPerson", "user"],
            {
                "sAMAccountName": sam,
                "userPrincipalName": f"{sam}@{REALM_DNS}",
                **attrs,
                "unicodePwd": unicode_pwd(password),
                "userAccountControl": str(uac_wanted),
            },
        )
        check(conn, f"add {dn}")
        print(f"created {dn}")
        return
    ensure_attrs(conn, dn, entry, {"userPrincipalName": f"{sam}@{REALM_DNS}", **attrs})
    uac = int(entry["userAccountControl"].value)
    mask = UF_ACCOUNTDISABLE | UF_DONT_EXPIRE_PASSWD
    if uac & mask != uac_wanted & mask:
        conn.modify(dn, {"userAccountControl": [(MODIFY_REPLACE, [str((uac & ~mask) | (uac_wanted & mask))])]})
        check(conn, f"userAccountControl of {dn}")
        print(f"updated {dn}: userAccountControl")
    if not accepts(srv, dn, password):
        conn.modify(dn, {"unicodePwd": [(MODIFY_REPLACE, [unicode_pwd(password)])]})
        check(conn, f"password of {dn}")
        print(f"reset the password of {dn}")


def main():
    base = env("DSAAS_AD_BASE_DN")
    top = f"OU=DSAAS,{base}"
    ou = {"users": f"OU=Users,{top}", "groups": f"OU=Groups,{top}", "svc": f"OU=Service Accounts,{top}"}
    srv = server()
    conn = Connection(
        srv, user=f"Administrator@{REALM_DNS}", password=secret("DSAAS_AD_ADMIN_PASSWORD_FILE"),
        authentication=SIMPLE, auto_bind=True, raise_exceptions=False,
    )

    # Lab passwords must not expire (the provisioned domain is cached and reused for months).
    domain = exists(conn, base)
    if domain["maxPwdAge"].raw_values[0].decode() != NEVER:
        conn.modify(base, {"maxPwdAge": [(MODIFY_REPLACE, [NEVER])]})
        check(conn, "maxPwdAge")
        print("domain: passwords never expire")

    for dn, desc in [(top, "DSAAS platform (lab)"), (ou["users"], "DSAAS users"),
                     (ou["groups"], "DSAAS groups"), (ou["svc"], "DSAAS service accounts")]:
        if exists(conn, dn) is None:
            conn.add(dn, ["top", "organizationalUnit"], {"description": desc})
            check(conn, f"add {dn}")
            print(f"created {dn}")

    users_pw = secret("DSAAS_AD_USERS_PASSWORD_FILE")
    for name, (given, sn, disabled) in USERS.items():
        attrs = {"givenName": given, "sn": sn, "displayName": f"{given} {sn}", "mail": f"{name}@{REALM_DNS}"}
        ensure_account(conn, srv, f"CN={name},{ou['users']}", name, attrs, users_pw,
                       UF_ACCOUNTDISABLE if disabled else 0)

    bind_pw = secret("DSAAS_AD_BIND_PASSWORD_FILE")
    for name, desc in SERVICE_ACCOUNTS.items():
        ensure_account(conn, srv, f"CN={name},{ou['svc']}", name, {"description": desc, "displayName": name},
                       bind_pw, UF_DONT_EXPIRE_PASSWD)

    group_dn = {g: f"CN={g},{ou['groups']}" for g in GROUPS}
    for name, (desc, _members) in GROUPS.items():
        dn = group_dn[name]
        entry = exists(conn, dn)
        if entry is None:
            attrs = {"sAMAccountName": name, "groupType": str(GLOBAL_SECURITY_GROUP), "description": desc}
            conn.add(dn, ["top", "group"], attrs)
            check(conn, f"add {dn}")
            print(f"created {dn}")
        else:
            ensure_attrs(conn, dn, entry, {"description": desc, "groupType": GLOBAL_SECURITY_GROUP})

    for name, (_desc, members) in GROUPS.items():
        dn = group_dn[name]
        wanted = {(group_dn[m] if m in GROUPS else f"CN={m},{ou['users']}") for m in members}
        conn.search(dn, "(objectClass=group)", search_scope=BASE, attributes=["member"])
        check(conn, f"read {dn}")
        current = set(conn.entries[0]["member"].values) if conn.entries else set()
        if {d.lower() for d in current} != {d.lower() for d in wanted}:
            conn.modify(dn, {"member": [(MODIFY_REPLACE, sorted(wanted))]})
            check(conn, f"members of {dn}")
            print(f"set the members of {dn}")

    # sanity: what the hub will rely on
    conn.search(ou["users"], "(objectClass=user)", search_scope=LEVEL, attributes=["sAMAccountName"])
    print(f"seeded: {len(conn.entries)} users, {len(GROUPS)} groups, {len(SERVICE_ACCOUNTS)} service account(s)")
    conn.unbind()


if __name__ == "__main__":
    try:
        main()
    except LDAPException as e:
        sys.exit(f"LDAP error: {e.__class__.__name__}: {e}")
