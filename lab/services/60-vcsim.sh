# shellcheck shell=bash
# vcsim (govmomi's vCenter simulator): stands in for the site's vCenter, where the infrastructure
# layer clones the Kubernetes node VMs. A current govmomi (>= v0.56: older ones ignore clone
# hardware, customisation and power-on, crash on unset properties and lack the /api endpoints
# that vmware.vmware uses).
#
# Build: upstream's vcsim command is a module of its own (vcsim/ with a replace of govmomi => ../)
# that the Go module proxy does not serve, so `go install` cannot build it. The lab builds its own
# small main (below) against github.com/vmware/govmomi's simulator packages at VCSIM_VERSION, in a
# wrapper module; it reads the password from a file (never on a command line, where ps shows it).
#
# Inventory: vcsim keeps everything in memory, so every start re-creates it (vcsim_seed, pyvmomi,
# idempotent): datacenter VCSIM_DATACENTER with cluster VCSIM_CLUSTER of 3 hosts, datastore
# VCSIM_DATASTORE, distributed portgroup VCSIM_PORTGROUP (the Kubernetes segment) and the template
# VCSIM_TEMPLATE that node VMs are cloned from.
# TLS: a 2048-bit certificate from the lab CA (vcsim's own is 1024-bit, refused by Python's TLS);
# clients verify it against $LAB_STATE/ca/ca.pem (REQUESTS_CA_BUNDLE may be set on these machines
# and overrides verify=False in requests, so trusting the lab CA is the only way that works).

VCSIM_VERSION=v0.56.0
VCSIM_PORT=${DSAAS_LAB_VCSIM_PORT:-18989}
VCSIM_USER=administrator@vsphere.local
VCSIM_DATACENTER=lab-dc
VCSIM_CLUSTER=lab-cluster
VCSIM_DATASTORE=LocalDS_0
VCSIM_PORTGROUP=k8s-segment
VCSIM_TEMPLATE=tpl-debian12-k8s
VCSIM_DIR=$LAB_STATE/vcsim
VCSIM_PIDFILE=$LAB_STATE/run/vcsim.pid

vcsim_main_go() {
  cat <<'GO'
// vcsim for the dsaas lab: govmomi's simulator with a VPX model, served over TLS with the given
// certificate and a single username/password (the password read from a file).
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	// The optional endpoints of a real vCenter: vAPI REST (/rest, /api), SSO, lookup, PBM, CNS, ...
	_ "github.com/vmware/govmomi/cns/simulator"
	_ "github.com/vmware/govmomi/eam/simulator"
	_ "github.com/vmware/govmomi/lookup/simulator"
	_ "github.com/vmware/govmomi/pbm/simulator"
	_ "github.com/vmware/govmomi/ssoadmin/simulator"
	_ "github.com/vmware/govmomi/sts/simulator"
	_ "github.com/vmware/govmomi/vapi/appliance/simulator"
	_ "github.com/vmware/govmomi/vapi/cis/tasks/simulator"
	_ "github.com/vmware/govmomi/vapi/cluster/simulator"
	_ "github.com/vmware/govmomi/vapi/namespace/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
	_ "github.com/vmware/govmomi/vapi/vm/simulator"
	_ "github.com/vmware/govmomi/vsan/simulator"
)

// enumDefaults gives each new VM the enum values a real vCenter reports. vcsim leaves
// runtime.faultToleranceState and runtime.recordReplayState unset and sends them as empty elements,
// which pyvmomi cannot decode: vm.runtime / vm.summary raise AttributeError in every client.
type enumDefaults struct{}

func (enumDefaults) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "DsaasLabEnumDefaults", Value: "enum-defaults"}
}

func (enumDefaults) PutObject(_ *simulator.Context, obj mo.Reference) {
	if vm, ok := obj.(*simulator.VirtualMachine); ok {
		for _, rt := range []*types.VirtualMachineRuntimeInfo{&vm.Runtime, &vm.Summary.Runtime} {
			if rt.FaultToleranceState == "" {
				rt.FaultToleranceState = types.VirtualMachineFaultToleranceStateNotConfigured
			}
			if rt.RecordReplayState == "" {
				rt.RecordReplayState = types.VirtualMachineRecordReplayStateInactive
			}
		}
	}
}

func (enumDefaults) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}
func (enumDefaults) RemoveObject(*simulator.Context, types.ManagedObjectReference)         {}

func main() {
	model := simulator.VPX()
	flag.IntVar(&model.Datacenter, "dc", 1, "datacenters")
	flag.IntVar(&model.Cluster, "cluster", 1, "clusters per datacenter")
	flag.IntVar(&model.ClusterHost, "host", 3, "hosts per cluster")
	flag.IntVar(&model.Host, "standalone-host", 0, "standalone hosts per datacenter")
	flag.IntVar(&model.Datastore, "ds", 1, "local datastores")
	flag.IntVar(&model.Portgroup, "pg", 1, "distributed portgroups per datacenter")
	flag.IntVar(&model.Machine, "vm", 0, "VMs per resource pool")
	listen := flag.String("l", "127.0.0.1:8989", "listen address")
	cert := flag.String("tlscert", "", "TLS certificate (PEM)")
	key := flag.String("tlskey", "", "TLS key (PEM)")
	user := flag.String("username", "", "the one user accepted (SSO domain vsphere.local)")
	passFile := flag.String("password-file", "", "file holding the password of -username")
	apiVersion := flag.String("api-version", "8.0.3.0", "vSphere API version (the model's own is 6.5)")
	flag.Parse()

	about := &model.ServiceContent.About
	about.ApiVersion = *apiVersion
	about.Version = strings.Join(strings.SplitN(*apiVersion+".0.0", ".", 4)[:3], ".")
	about.FullName = fmt.Sprintf("VMware vCenter Server %s build-%s (govmomi simulator)", about.Version, about.Build)

	u := &url.URL{Host: *listen}
	if *user != "" {
		pw, err := os.ReadFile(*passFile)
		if err != nil {
			log.Fatalf("reading the password: %v", err)
		}
		u.User = url.UserPassword(*user, strings.TrimSpace(string(pw)))
	}
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	model.Map().AddHandler(enumDefaults{})
	model.Service.RegisterEndpoints = true
	model.Service.Listen = u
	model.Service.TLS = new(tls.Config)
	if *cert != "" {
		c, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			log.Fatal(err)
		}
		model.Service.TLS.Certificates = []tls.Certificate{c}
	}
	s := model.Service.NewServer()
	fmt.Printf("vcsim listening on %s (pid %d)\n", s.URL.Host, os.Getpid())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	s.Close()
	model.Remove()
}
GO
}

vcsim_build() {
  local out=$1
  lab_go_wrapper "github.com/vmware/govmomi@$VCSIM_VERSION" || return
  vcsim_main_go >main.go
  go mod tidy && go build "${LAB_GO_FLAGS[@]}" -ldflags "$LAB_GO_LDFLAGS" -o "$out/vcsim" .
}

# Creates what the simulator's model lacks and gives the model's objects the lab's names; every
# step checks first, so it runs on a fresh simulator and again on one already seeded.
vcsim_seed() {
  "$LAB_VENV/bin/python" - "$VCSIM_PORT" "$VCSIM_USER" "$LAB_STATE/secrets/vcsim" "$LAB_STATE/ca/ca.pem" \
    "$VCSIM_DATACENTER" "$VCSIM_CLUSTER" "$VCSIM_DATASTORE" "$VCSIM_PORTGROUP" "$VCSIM_TEMPLATE" <<'PY'
import ssl
import sys
import time

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

port, user, pwfile, ca, dc_name, cluster_name, ds_name, pg_name, tpl_name = sys.argv[1:]
si = SmartConnect(host='127.0.0.1', port=int(port), user=user, pwd=open(pwfile).read().strip(),
                  sslContext=ssl.create_default_context(cafile=ca))
content = si.RetrieveContent()


def wait(task):
    # polling, not pyVim.task.WaitForTask: vcsim's task names (e.g. Folder.createVm) are not
    # pyvmomi method names, and WaitForTask resolves them while a task runs
    for _ in range(600):
        if task.info.state not in ('queued', 'running'):
            break
        time.sleep(0.1)
    if task.info.state != 'success':
        sys.exit('vcsim seed: %s failed: %s' % (task.info.descriptionId, task.info.error))
    return task.info.result


def find(kind, name=None):
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return [o for o in view.view if name is None or o.name == name]
    finally:
        view.Destroy()


def named(kind, name, model_name):
    """The object called name, renaming the model's default (vcsim names DC0, DC0_C0, ...)."""
    found = find(kind, name)
    if found:
        return found[0]
    default = find(kind, model_name)
    if not default:
        sys.exit('vcsim seed: no %s %s or %s' % (kind.__name__, name, model_name))
    wait(default[0].Rename_Task(name))
    return default[0]


dc = named(vim.Datacenter, dc_name, 'DC0')
cluster = named(vim.ClusterComputeResource, cluster_name, 'DC0_C0')
pg = named(vim.dvs.DistributedVirtualPortgroup, pg_name, 'DC0_DVPG0')
ds = find(vim.Datastore, ds_name)
if not ds:
    sys.exit('vcsim seed: no datastore %s' % ds_name)
if len(cluster.host) != 3:
    sys.exit('vcsim seed: cluster %s has %d hosts, not 3' % (cluster_name, len(cluster.host)))

if not find(vim.VirtualMachine, tpl_name):
    dev = vim.vm.device.VirtualDeviceSpec
    scsi = dev(operation='add', device=vim.vm.device.ParaVirtualSCSIController(
        key=1000, busNumber=0, sharedBus='noSharing'))
    disk = dev(operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
        key=2000, controllerKey=1000, unitNumber=0, capacityInKB=20 * 1024 * 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent', thinProvisioned=True)))
    nic = dev(operation='add', device=vim.vm.device.VirtualVmxnet3(
        key=4000, addressType='generated',
        backing=vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
            port=vim.dvs.PortConnection(portgroupKey=pg.key, switchUuid=pg.config.distributedVirtualSwitch.uuid)),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)))
    spec = vim.vm.ConfigSpec(name=tpl_name, guestId='debian12_64Guest', numCPUs=2, memoryMB=4096,
                             files=vim.vm.FileInfo(vmPathName='[%s]' % ds_name),
                             annotation='dsaas lab: Debian 12 Kubernetes node template',
                             deviceChange=[scsi, disk, nic])
    wait(dc.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool, host=cluster.host[0])).MarkAsTemplate()
Disconnect(si)
PY
}

vcsim_packages() { echo openssl; }

vcsim_running() { lab_pid_alive "$VCSIM_PIDFILE" && lab_port_open "$VCSIM_PORT"; }

vcsim_up() {
  local bin log=$LAB_LOG/vcsim.log
  lab_dirs
  # keyed by govmomi's version and this main's source, so a change to either builds anew
  bin=$(lab_go_binary vcsim "$VCSIM_VERSION-$(vcsim_main_go | sha256sum | cut -c1-8)" vcsim_build) || exit 1
  lab_cert vcsim "DNS:localhost,IP:127.0.0.1"
  lab_secret vcsim >/dev/null
  mkdir -p "$VCSIM_DIR" "$LAB_STATE/bin"
  ln -sfn "$bin/vcsim" "$LAB_STATE/bin/vcsim"
  if ! lab_pid_alive "$VCSIM_PIDFILE"; then
    lab_port_open "$VCSIM_PORT" && lab_die "port $VCSIM_PORT (vcsim) is taken by something this lab did not start"
    # -username without the domain: the simulator's SSO (ssoadmin endpoint) creates that user in
    # its system domain, vsphere.local, and checks logins as NAME@DOMAIN (NAME alone means vsphere.local).
    # vcsim writes VM files (disks, nvram) under its working directory's datastore paths: keep them here.
    (cd "$VCSIM_DIR" && lab_daemon "$VCSIM_PIDFILE" "$log" "$bin/vcsim" -l "127.0.0.1:$VCSIM_PORT" \
      -dc 1 -cluster 1 -host 3 -standalone-host 0 -ds 1 -pg 1 -vm 0 \
      -tlscert "$LAB_STATE/ca/vcsim.pem" -tlskey "$LAB_STATE/ca/vcsim.key" \
      -username "${VCSIM_USER%@*}" -password-file "$LAB_STATE/secrets/vcsim")
    lab_wait_port "$VCSIM_PORT" 30 || lab_die "vcsim did not open 127.0.0.1:$VCSIM_PORT: $(tail -n 1 "$log") (see $log)"
  fi
  vcsim_seed >>"$log" 2>&1 || lab_die "creating the vcsim inventory failed: $(tail -n 1 "$log") (see $log)"
}

vcsim_down() { lab_stop_pidfile "$VCSIM_PIDFILE" vcsim; }

vcsim_address() { echo "https://127.0.0.1:$VCSIM_PORT/sdk"; }

vcsim_env() {
  printf 'export DSAAS_VCENTER_HOST=127.0.0.1 DSAAS_VCENTER_PORT=%s DSAAS_VCENTER_USER=%q\n' "$VCSIM_PORT" "$VCSIM_USER"
  printf 'export DSAAS_VCENTER_PASSWORD_FILE=%q DSAAS_VCENTER_CA=%q\n' "$LAB_STATE/secrets/vcsim" "$LAB_STATE/ca/ca.pem"
  printf 'export DSAAS_VCENTER_DATACENTER=%q DSAAS_VCENTER_CLUSTER=%q DSAAS_VCENTER_DATASTORE=%q\n' \
    "$VCSIM_DATACENTER" "$VCSIM_CLUSTER" "$VCSIM_DATASTORE"
  printf 'export DSAAS_VCENTER_PORTGROUP=%q DSAAS_VCENTER_TEMPLATE=%q\n' "$VCSIM_PORTGROUP" "$VCSIM_TEMPLATE"
}
