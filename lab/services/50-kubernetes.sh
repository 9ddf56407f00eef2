# shellcheck shell=bash
# Kubernetes: a real API (etcd + kube-apiserver + kube-controller-manager + kube-scheduler) on
# loopback with kwok simulating the nodes, so that the layers creating objects through the API
# and Helm (storage, JupyterHub, tool stack, DR) talk to the real thing. Also builds the clients:
# kubectl, kubeadm (the cluster roles validate their configuration with it) and helm.
#
# Everything is built from the Go module proxy (no release downloads reach this machine) and cached
# by version in $LAB_CACHE/bin (lab_go_binary): a warm `lab up` starts processes, it builds nothing.
#   - kube-* / kubectl / kubeadm: a wrapper module requiring k8s.io/kubernetes at K8S_VERSION that
#     replaces every k8s.io staging module (the ./staging replaces of that tag's go.mod) with the
#     published v0.MINOR.PATCH; version-stamped through ldflags so /version reports K8S_VERSION.
#   - etcd: a wrapper module requiring go.etcd.io/etcd/server/v3 around etcdmain.Main.
#   - kwok: plain go install; its node/pod "fast" stages are kept beside the binary.
#   - helm: plain go install, stamped with its version and the Kubernetes minor it was built for.
#   - kubelet (same wrapper module and stamp as kube-*, its own cache entry) and crictl (plain go
#     install, version-stamped): not run by the lab; the offline node bundle of roles/k8s_node's molecule.
# Nodes: kwok in controller mode (the `kwok` binary against this API, not kwokctl) manages the
# Node objects this service creates (annotation kwok.x-k8s.io/node=fake): they report Ready, and
# pods bound to them go Running. Their names are K8S_CONTROL_PLANE_NODES and K8S_WORKER_NODES.
# The Trident CRDs of ../shared/contracts/trident/crds.yaml are applied (skipped, said, if absent).

K8S_VERSION=v1.37.2
K8S_ETCD_VERSION=v3.6.16
K8S_KWOK_VERSION=v0.8.0
K8S_HELM_VERSION=v3.22.0
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubeadm)
K8S_CRICTL_VERSION=v1.37.0

K8S_API_PORT=${DSAAS_LAB_K8S_API_PORT:-16443}
K8S_ETCD_PORT=${DSAAS_LAB_K8S_ETCD_PORT:-12379}
K8S_ETCD_PEER_PORT=$((K8S_ETCD_PORT + 1))
K8S_ETCD_METRICS_PORT=$((K8S_ETCD_PORT + 2))
K8S_KCM_PORT=${DSAAS_LAB_K8S_KCM_PORT:-16257}
K8S_SCHEDULER_PORT=${DSAAS_LAB_K8S_SCHEDULER_PORT:-16259}
K8S_SERVICE_CIDR=10.96.0.0/12
K8S_SERVICE_IP=10.96.0.1
K8S_POD_CIDR=10.244.0.0/16
# The lab cluster's nodes (fake, kwok): what inventories/lab lists as the cluster's members.
K8S_CONTROL_PLANE_NODES=(lab-cp-1 lab-cp-2 lab-cp-3)
K8S_WORKER_NODES=(lab-worker-1 lab-worker-2)

K8S_DIR=$LAB_STATE/kubernetes
K8S_PKI=$LAB_STATE/ca
K8S_KUBECONFIG=$K8S_DIR/admin.kubeconfig
K8S_CRDS=$LAB_ROOT/../shared/contracts/trident/crds.yaml
# Start order; stopped in reverse.
K8S_DAEMONS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

k8s_pidfile() { printf '%s\n' "$LAB_STATE/run/k8s-$1.pid"; }
k8s_kubectl() { "$LAB_CACHE/bin/kubernetes-$K8S_VERSION/kubectl" --kubeconfig "$K8S_KUBECONFIG" "$@"; }

# --- builds (lab_go_binary build functions: OUTDIR first; cwd is an empty work directory) ---------

# k8s_build_kubernetes OUTDIR [COMMAND...]: the commands (default K8S_COMMANDS) of k8s.io/kubernetes/cmd.
k8s_build_kubernetes() {
  local out=$1 v=$K8S_VERSION minor gomod info date m c s pkg ldflags=$LAB_GO_LDFLAGS cmds=("${@:2}")
  [ ${#cmds[@]} -gt 0 ] || cmds=("${K8S_COMMANDS[@]}")
  minor=${v#v1.} && minor=${minor%%.*}
  lab_go_wrapper "k8s.io/kubernetes@$v" || return
  info=$(go mod download -json "k8s.io/kubernetes@$v") || { printf '%s\n' "$info"; return 1; }
  gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")
  date=$(sed -n 's/^[[:space:]]*"Info": "\(.*\)",\{0,1\}$/\1/p' <<<"$info" | xargs cat | sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p')
  [ -s "$gomod" ] || { echo "go: no go.mod for k8s.io/kubernetes@$v"; return 1; }
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging/src/...;
  # replace directives of a dependency are ignored, so this module replaces each with its release.
  while read -r m; do
    go mod edit -replace="$m=$m@v0.${v#v1.}" || return
  done < <(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$gomod")
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  for c in "${cmds[@]}"; do
    s=$SECONDS
    echo "## go build k8s.io/kubernetes/cmd/$c@$v"
    go build -mod=mod "${LAB_GO_FLAGS[@]}" -ldflags "$ldflags" -o "$out/$c" "k8s.io/kubernetes/cmd/$c" || return
    printf '%s %s %ss (part of kubernetes %s)\n' "$c" "$v" "$((SECONDS - s))" "$v" >>"$LAB_LOG/go-build-times.log"
  done
}

k8s_build_crictl() {
  GOBIN=$1 go install "${LAB_GO_FLAGS[@]}" -ldflags "$LAB_GO_LDFLAGS -X sigs.k8s.io/cri-tools/pkg/version.Version=$K8S_CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$K8S_CRICTL_VERSION"
}

k8s_build_etcd() {
  local out=$1
  lab_go_wrapper "go.etcd.io/etcd/server/v3@$K8S_ETCD_VERSION" || return
  printf '%s\n' 'package main' '' 'import (' '	"os"' '' '	"go.etcd.io/etcd/server/v3/etcdmain"' ')' '' \
    'func main() { etcdmain.Main(os.Args) }' >main.go
  go mod tidy && go build "${LAB_GO_FLAGS[@]}" -ldflags "$LAB_GO_LDFLAGS" -o "$out/etcd" .
}

# kwok needs Stage objects to do anything; the upstream "fast" node and pod stages plus the lease
# heartbeat (what kwokctl configures by default) come from the same module version.
k8s_build_kwok() {
  local out=$1 dir f
  lab_go_install "$out" "sigs.k8s.io/kwok/cmd/kwok@$K8S_KWOK_VERSION" || return
  dir=$(go mod download -json "sigs.k8s.io/kwok@$K8S_KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$dir/kustomize/stage" ] || { echo "kwok: no kustomize/stage in $dir"; return 1; }
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [ -s "$dir/kustomize/stage/$f" ] || { echo "kwok: stage $f missing in $dir"; return 1; }
    printf -- '---\n' && cat "$dir/kustomize/stage/$f"
  done >"$out/stages.yaml"
}

k8s_build_helm() {
  local out=$1 v=$K8S_HELM_VERSION minor=${K8S_VERSION#v1.} ld
  minor=${minor%%.*}
  ld="$LAB_GO_LDFLAGS -X helm.sh/helm/v3/internal/version.version=$v -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  # What `helm template`/`lint` assume without a cluster (upstream's Makefile stamps these too;
  # unstamped it is 1.20, below the kubeVersion of current charts).
  ld+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
  ld+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
  GOBIN=$out go install "${LAB_GO_FLAGS[@]}" -ldflags "$ld" "helm.sh/helm/v3/cmd/helm@$v"
}

# All binaries, built once per version; symlinked into $LAB_STATE/bin (on PATH through lab env).
k8s_binaries() {
  local kube kubelet crictl etcd kwok helm c
  kube=$(lab_go_binary kubernetes "$K8S_VERSION" k8s_build_kubernetes) || exit 1
  kubelet=$(lab_go_binary kubelet "$K8S_VERSION" k8s_build_kubernetes kubelet) || exit 1
  crictl=$(lab_go_binary crictl "$K8S_CRICTL_VERSION" k8s_build_crictl) || exit 1
  etcd=$(lab_go_binary etcd "$K8S_ETCD_VERSION" k8s_build_etcd) || exit 1
  kwok=$(lab_go_binary kwok "$K8S_KWOK_VERSION" k8s_build_kwok) || exit 1
  helm=$(lab_go_binary helm "$K8S_HELM_VERSION" k8s_build_helm) || exit 1
  mkdir -p "$LAB_STATE/bin"
  for c in "${K8S_COMMANDS[@]}"; do ln -sfn "$kube/$c" "$LAB_STATE/bin/$c"; done
  ln -sfn "$kubelet/kubelet" "$LAB_STATE/bin/kubelet"
  ln -sfn "$crictl/crictl" "$LAB_STATE/bin/crictl"
  ln -sfn "$etcd/etcd" "$LAB_STATE/bin/etcd"
  ln -sfn "$kwok/kwok" "$LAB_STATE/bin/kwok"
  ln -sfn "$helm/helm" "$LAB_STATE/bin/helm"
}

# --- configuration -------------------------------------------------------------------------------

k8s_pki() {
  local d=$K8S_PKI
  lab_cert kube-apiserver "DNS:localhost,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:$K8S_SERVICE_IP"
  lab_cert_eku k8s-etcd /CN=etcd serverAuth,clientAuth "DNS:localhost,IP:127.0.0.1"
  lab_cert_eku k8s-apiserver-etcd-client /CN=kube-apiserver-etcd-client clientAuth
  lab_cert_eku k8s-admin "/O=system:masters/CN=kubernetes-admin" clientAuth
  lab_cert_eku k8s-controller-manager /CN=system:kube-controller-manager clientAuth
  lab_cert_eku k8s-scheduler /CN=system:kube-scheduler clientAuth
  lab_cert_eku k8s-kwok "/O=system:masters/CN=kwok" clientAuth
  lab_cert_eku k8s-front-proxy-client /CN=front-proxy-client clientAuth
  if [ ! -s "$d/k8s-sa.key" ]; then
    # shellcheck disable=SC2015  # every step or die: lab_die only runs when one of them failed
    openssl genrsa -out "$d/k8s-sa.key" 2048 >>"$LAB_LOG/ca.log" 2>&1 && chmod 600 "$d/k8s-sa.key" \
      && openssl rsa -in "$d/k8s-sa.key" -pubout -out "$d/k8s-sa.pub" >>"$LAB_LOG/ca.log" 2>&1 \
      || lab_die "creating the service-account key pair failed (see $LAB_LOG/ca.log)"
  fi
}

# k8s_kubeconfig FILE CERT-NAME USER: a self-contained kubeconfig (certificates embedded).
k8s_kubeconfig() {
  local f=$1 cert=$2 user=$3 kcfg=("$LAB_STATE/bin/kubectl" config --kubeconfig "$1.tmp")
  [ -s "$f" ] && return 0
  rm -f "$f.tmp"
  # shellcheck disable=SC2015  # every step or die: lab_die only runs when one of them failed
  "${kcfg[@]}" set-cluster lab --server "https://127.0.0.1:$K8S_API_PORT" --certificate-authority "$K8S_PKI/ca.pem" --embed-certs >/dev/null \
    && "${kcfg[@]}" set-credentials "$user" --client-certificate "$K8S_PKI/$cert.pem" --client-key "$K8S_PKI/$cert.key" --embed-certs >/dev/null \
    && "${kcfg[@]}" set-context "$user@lab" --cluster lab --user "$user" >/dev/null \
    && "${kcfg[@]}" use-context "$user@lab" >/dev/null \
    && chmod 600 "$f.tmp" && mv -f "$f.tmp" "$f" || lab_die "writing $f failed"
}

k8s_config() {
  mkdir -p "$K8S_DIR" && chmod 700 "$K8S_DIR"
  k8s_pki
  k8s_kubeconfig "$K8S_KUBECONFIG" k8s-admin kubernetes-admin
  k8s_kubeconfig "$K8S_DIR/controller-manager.kubeconfig" k8s-controller-manager system:kube-controller-manager
  k8s_kubeconfig "$K8S_DIR/scheduler.kubeconfig" k8s-scheduler system:kube-scheduler
  k8s_kubeconfig "$K8S_DIR/kwok.kubeconfig" k8s-kwok kwok
}

# --- processes -----------------------------------------------------------------------------------

k8s_start_etcd() {
  local p=$K8S_PKI
  lab_port_open "$K8S_ETCD_PORT" && lab_die "port $K8S_ETCD_PORT (etcd) is taken by something this lab did not start"
  lab_daemon "$(k8s_pidfile etcd)" "$LAB_LOG/k8s-etcd.log" "$LAB_STATE/bin/etcd" \
    --name lab --data-dir "$K8S_DIR/etcd" --log-level warn \
    --listen-client-urls "https://127.0.0.1:$K8S_ETCD_PORT" --advertise-client-urls "https://127.0.0.1:$K8S_ETCD_PORT" \
    --listen-peer-urls "https://127.0.0.1:$K8S_ETCD_PEER_PORT" --initial-advertise-peer-urls "https://127.0.0.1:$K8S_ETCD_PEER_PORT" \
    --initial-cluster "lab=https://127.0.0.1:$K8S_ETCD_PEER_PORT" --listen-metrics-urls "http://127.0.0.1:$K8S_ETCD_METRICS_PORT" \
    --cert-file "$p/k8s-etcd.pem" --key-file "$p/k8s-etcd.key" --trusted-ca-file "$p/ca.pem" --client-cert-auth \
    --peer-cert-file "$p/k8s-etcd.pem" --peer-key-file "$p/k8s-etcd.key" --peer-trusted-ca-file "$p/ca.pem" --peer-client-cert-auth \
    --snapshot-count 10000 --quota-backend-bytes 2147483648
  lab_wait_port "$K8S_ETCD_PORT" 60 || lab_die "etcd did not open 127.0.0.1:$K8S_ETCD_PORT (see $LAB_LOG/k8s-etcd.log)"
}

k8s_start_apiserver() {
  local p=$K8S_PKI i
  lab_port_open "$K8S_API_PORT" && lab_die "port $K8S_API_PORT (kube-apiserver) is taken by something this lab did not start"
  # Admission: the defaults of this version (NamespaceLifecycle, LimitRanger, ServiceAccount,
  # PodSecurity, Priority, DefaultTolerationSeconds, DefaultStorageClass, ResourceQuota, the
  # webhook and ValidatingAdmissionPolicy plugins, ...) plus NodeRestriction, as kubeadm sets it.
  lab_daemon "$(k8s_pidfile kube-apiserver)" "$LAB_LOG/k8s-apiserver.log" "$LAB_STATE/bin/kube-apiserver" \
    --advertise-address 127.0.0.1 --bind-address 127.0.0.1 --secure-port "$K8S_API_PORT" \
    --etcd-servers "https://127.0.0.1:$K8S_ETCD_PORT" --etcd-cafile "$p/ca.pem" \
    --etcd-certfile "$p/k8s-apiserver-etcd-client.pem" --etcd-keyfile "$p/k8s-apiserver-etcd-client.key" \
    --tls-cert-file "$p/kube-apiserver.pem" --tls-private-key-file "$p/kube-apiserver.key" --client-ca-file "$p/ca.pem" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$p/k8s-sa.pub" --service-account-signing-key-file "$p/k8s-sa.key" \
    --service-cluster-ip-range "$K8S_SERVICE_CIDR" --authorization-mode Node,RBAC \
    --endpoint-reconciler-type none \
    --requestheader-client-ca-file "$p/ca.pem" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$p/k8s-front-proxy-client.pem" --proxy-client-key-file "$p/k8s-front-proxy-client.key" \
    --enable-admission-plugins NodeRestriction --allow-privileged=true --enable-bootstrap-token-auth \
    --profiling=false --v 1
  for ((i = 0; i < 300; i++)); do
    lab_pid_alive "$(k8s_pidfile kube-apiserver)" || break
    k8s_kubectl get --raw /readyz >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  lab_die "kube-apiserver did not become ready on https://127.0.0.1:$K8S_API_PORT: $(k8s_log_error "$LAB_LOG/k8s-apiserver.log") (see $LAB_LOG/k8s-apiserver.log)"
}

k8s_start_controller_manager() {
  local kc=$K8S_DIR/controller-manager.kubeconfig
  lab_daemon "$(k8s_pidfile kube-controller-manager)" "$LAB_LOG/k8s-controller-manager.log" "$LAB_STATE/bin/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$K8S_KCM_PORT" --cert-dir "$K8S_DIR/controller-manager" \
    --leader-elect=false --use-service-account-credentials --controllers '*,bootstrapsigner,tokencleaner' \
    --service-account-private-key-file "$K8S_PKI/k8s-sa.key" --root-ca-file "$K8S_PKI/ca.pem" \
    --cluster-signing-cert-file "$K8S_PKI/ca.pem" --cluster-signing-key-file "$K8S_PKI/ca.key" \
    --service-cluster-ip-range "$K8S_SERVICE_CIDR" --cluster-cidr "$K8S_POD_CIDR" --profiling=false --v 1
  lab_wait_port "$K8S_KCM_PORT" 60 || lab_die "kube-controller-manager did not start: $(k8s_log_error "$LAB_LOG/k8s-controller-manager.log") (see $LAB_LOG/k8s-controller-manager.log)"
}

k8s_start_scheduler() {
  local kc=$K8S_DIR/scheduler.kubeconfig
  lab_daemon "$(k8s_pidfile kube-scheduler)" "$LAB_LOG/k8s-scheduler.log" "$LAB_STATE/bin/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$K8S_SCHEDULER_PORT" --cert-dir "$K8S_DIR/scheduler" \
    --leader-elect=false --profiling=false --v 1
  lab_wait_port "$K8S_SCHEDULER_PORT" 60 || lab_die "kube-scheduler did not start: $(k8s_log_error "$LAB_LOG/k8s-scheduler.log") (see $LAB_LOG/k8s-scheduler.log)"
}

k8s_start_kwok() {
  local i
  lab_daemon "$(k8s_pidfile kwok)" "$LAB_LOG/k8s-kwok.log" "$LAB_STATE/bin/kwok" \
    --kubeconfig "$K8S_DIR/kwok.kubeconfig" --config "$(dirname "$(readlink -f "$LAB_STATE/bin/kwok")")/stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr "$K8S_POD_CIDR" --node-ip 127.0.0.1 --node-lease-duration-seconds 40 --v WARN
  for ((i = 0; i < 10; i++)); do sleep 0.3; done
  lab_pid_alive "$(k8s_pidfile kwok)" || lab_die "kwok exited at start: $(tail -n 1 "$LAB_LOG/k8s-kwok.log" | cut -c1-240)"
}

# The fake nodes: a real cluster's labels and the control plane's taint, sized like the VMs the
# infrastructure layer makes. Status comes from kwok (Ready, addresses, lease heartbeats).
k8s_nodes_yaml() {
  local n
  for n in "${K8S_CONTROL_PLANE_NODES[@]}" "${K8S_WORKER_NODES[@]}"; do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
EOF
    if [[ " ${K8S_CONTROL_PLANE_NODES[*]} " == *" $n "* ]]; then
      cat <<EOF
    node-role.kubernetes.io/control-plane: ""
spec:
  taints:
  - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
EOF
      k8s_node_info
    else
      cat <<EOF
    node-role.kubernetes.io/worker: ""
status:
  allocatable: {cpu: "16", memory: 64Gi, pods: "110"}
  capacity: {cpu: "16", memory: 64Gi, pods: "110"}
EOF
      k8s_node_info
    fi
  done
}

# What a kubelet of this version on the node template's OS would report (kwok keeps what is set).
k8s_node_info() {
  cat <<EOF
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    osImage: Debian GNU/Linux 12 (bookworm)
    kubeletVersion: $K8S_VERSION
    kubeProxyVersion: $K8S_VERSION
    containerRuntimeVersion: kwok://$K8S_KWOK_VERSION
    kernelVersion: kwok-$K8S_KWOK_VERSION
    bootID: ""
    machineID: ""
    systemUUID: ""
EOF
}

k8s_seed() {
  local log=$LAB_LOG/k8s-seed.log
  k8s_nodes_yaml | k8s_kubectl apply -f - >"$log" 2>&1 || lab_die "creating the kwok nodes failed (see $log)"
  k8s_running_one kwok || k8s_start_kwok
  k8s_kubectl wait --for condition=Ready --timeout 90s node "${K8S_CONTROL_PLANE_NODES[@]}" "${K8S_WORKER_NODES[@]}" >>"$log" 2>&1 \
    || lab_die "the kwok nodes did not become Ready (see $log and $LAB_LOG/k8s-kwok.log)"
  if [ -s "$K8S_CRDS" ]; then
    k8s_kubectl apply --server-side --force-conflicts -f "$K8S_CRDS" >>"$log" 2>&1 \
      || lab_die "applying the Trident CRDs of $K8S_CRDS failed (see $log)"
    k8s_kubectl wait --for condition=Established --timeout 60s -f "$K8S_CRDS" >>"$log" 2>&1 \
      || lab_die "the Trident CRDs did not become Established (see $log)"
  else
    lab_say "kubernetes: $K8S_CRDS is absent; the Trident CRDs are not loaded"
  fi
}

# The last klog error of a component's log (the cause of an exit is logged last).
k8s_log_error() { grep -E '^[EF][0-9]{4} |^Error: ' "$1" | grep -v 'manifest file is empty' | tail -n 1 | cut -c1-300; }

k8s_running_one() { lab_pid_alive "$(k8s_pidfile "$1")"; }

# --- the service interface -----------------------------------------------------------------------

kubernetes_packages() { echo openssl; }

kubernetes_running() {
  local d
  for d in "${K8S_DAEMONS[@]}"; do k8s_running_one "$d" || return 1; done
  # A lab started before kubelet/crictl were added lacks them: up (idempotent) builds them.
  [ -x "$LAB_STATE/bin/kubelet" ] && [ -x "$LAB_STATE/bin/crictl" ] || return 1
  lab_port_open "$K8S_API_PORT"
}

kubernetes_up() {
  local d
  lab_dirs
  k8s_binaries
  k8s_config
  # Idempotent: starts what is not running (a half-up control plane is completed, not restarted).
  k8s_running_one etcd || k8s_start_etcd
  k8s_running_one kube-apiserver || k8s_start_apiserver
  k8s_running_one kube-controller-manager || k8s_start_controller_manager
  k8s_running_one kube-scheduler || k8s_start_scheduler
  k8s_seed
  for d in "${K8S_DAEMONS[@]}"; do k8s_running_one "$d" || lab_die "kubernetes: $d is not running (see $LAB_LOG/k8s-*.log)"; done
}

kubernetes_down() {
  local i
  for ((i = ${#K8S_DAEMONS[@]} - 1; i >= 0; i--)); do lab_stop_pidfile "$(k8s_pidfile "${K8S_DAEMONS[i]}")" "${K8S_DAEMONS[i]}"; done
}

kubernetes_address() { echo "https://127.0.0.1:$K8S_API_PORT"; }

kubernetes_env() {
  printf 'export KUBECONFIG=%q K8S_AUTH_KUBECONFIG=%q\n' "$K8S_KUBECONFIG" "$K8S_KUBECONFIG"
  # shellcheck disable=SC2016  # $PATH is expanded by the shell that evaluates these exports
  printf 'export PATH=%q:"$PATH"\n' "$LAB_STATE/bin"
  printf 'export DSAAS_K8S_API=%q DSAAS_K8S_VERSION=%q\n' "https://127.0.0.1:$K8S_API_PORT" "$K8S_VERSION"
  printf 'export DSAAS_K8S_CONTROL_PLANE_NODES=%q DSAAS_K8S_WORKER_NODES=%q\n' "${K8S_CONTROL_PLANE_NODES[*]}" "${K8S_WORKER_NODES[*]}"
}
