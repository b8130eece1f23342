#!/usr/bin/env bash
# A real single-node SLURM on this machine, then the quick preset through
# profiles/slurm; its evaluations must equal those of a local run of the same config.
#   bash tests/slurm/run.sh WORKDIR        (root; installs Debian's slurm-wlm and munge)
# Loopback only. The daemons it starts are stopped by their pids when it exits.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(realpath -m "${1:?usage: run.sh WORKDIR}")
mkdir -p "$work"
python=${PYTHON:-python3}
# pid files: munge/ owned by munge, slurm/ by slurm, in a folder the daemons'
# users can reach (WORKDIR may sit inside a private temporary folder)
state=$(mktemp -d /tmp/couae-slurm-daemons.XXXXXX)
chmod 755 "$state"
mkdir -p "$state/munge" "$state/slurm"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

running() {  # a live process (a zombie has already exited)
  local s; s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  case "$s" in Z*) return 1 ;; *) return 0 ;; esac
}
stop_daemons() {
  local pidfile pid
  for pidfile in "$state/slurm/slurmd.pid" "$state/slurm/slurmctld.pid" "$state/munge/munged.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 20); do running "$pid" || break; sleep 0.5; done
  done
  rm -rf "$state"
}
trap stop_daemons EXIT

# munge: the package made the key; run the daemon as its user
mkdir -p /run/munge && chown munge:munge /run/munge
[ -f /etc/munge/munge.key ] || (mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f)
chown munge:munge /etc/munge/munge.key "$state/munge"
su -s /bin/sh munge -c "munged --pid-file=$state/munge/munged.pid --force"
for _ in $(seq 20); do [ -s "$state/munge/munged.pid" ] && break; sleep 0.25; done
munge -n | unmunge >/dev/null

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(free -m | awk '/^Mem:/ {print $2}') - 1024 ))
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm "$state/slurm"
cat > /etc/slurm/slurm.conf <<CONF
# written by couae tests/slurm/run.sh (a throw-away single-node test cluster)
ClusterName=couae-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
SlurmctldPort=6817
SlurmdPort=6818
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$state/slurm/slurmctld.pid
SlurmdPidFile=$state/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld
slurmd
for _ in $(seq 60); do
  [ "$(sinfo -h -o %t 2>/dev/null | head -1)" = "idle" ] && break
  sleep 1
done
[ "$(sinfo -h -o %t | head -1)" = "idle" ] || { echo "SLURM node did not become idle"; sinfo; exit 1; }

# A smaller quick preset: one grid variant and width, two seeds, a short CelebA
# stand-in; two grid rows evaluated and one CelebA training (the rules that use
# the profile's resources, signals and GPU claims), compared with a local run.
cat > "$work/small.yaml" <<CONF
grid:
  variants_run: [narrow]
  widths: [1.0]
  training: {seeds: [0, 1]}
celeba:
  training: {iterations: 20, checkpoint_every: 20}
  experiments: {couae: {widths: [1.0]}}
CONF
compared="results/grid/narrow/eval/couae/width1/block0.csv results/grid/narrow/eval/wae/width1/block0.csv
  results/celeba/train/couae/width1/seed0/loss.csv"
targets="$compared"
run_workflow() {  # dir, extra flags...
  local dir=$1; shift
  mkdir -p "$dir"
  "$python" -m snakemake -s "$repo/Snakefile" --directory "$dir" "$@" $targets \
    --configfile "$repo/presets/quick.yaml" "$work/small.yaml"
}
run_workflow "$work/local" --cores 2
( cd "$work" && run_workflow "$work/slurm" --profile "$repo/profiles/slurm" --jobs 4 \
    --default-resources slurm_partition=debug runtime=30 mem_mb=2000 cpus_per_task=1 \
    --set-resources celeba_data:cpus_per_task=1 celeba_data:mem_mb=2000 celeba_train:cpus_per_task=1 \
      celeba_train:mem_mb=2000 fid_reference:cpus_per_task=1 fid_reference:mem_mb=2000 \
      celeba_evaluate:cpus_per_task=1 celeba_evaluate:mem_mb=2000 \
    --slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 \
    --latency-wait 5 )
for f in $compared; do
  cmp "$work/local/$f" "$work/slurm/$f"
done
echo "SLURM run produced the same evaluations and training curve as the local run"

# GPU requests follow the configured device, not the submit host (this one has
# no nvidia-smi): with device auto a CelebA training job asks SLURM for a GPU,
# and a grid job does not with grid.device: cpu. This node has no GPU, so the
# CelebA job's sbatch is refused: the check reads the sbatch calls Snakemake logs.
cat > "$work/gpu.yaml" <<CONF
device: auto
grid: {device: cpu}
CONF
mkdir -p "$work/gpu"
( cd "$work" && "$python" -m snakemake -s "$repo/Snakefile" --directory "$work/gpu" --profile "$repo/profiles/slurm" \
    --jobs 2 --verbose --keep-going --retries 0 \
    --default-resources slurm_partition=debug runtime=30 mem_mb=2000 cpus_per_task=1 \
    --set-resources celeba_data:cpus_per_task=1 celeba_data:mem_mb=2000 celeba_train:cpus_per_task=1 \
      celeba_train:mem_mb=2000 \
    --slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 --latency-wait 5 \
    results/grid/narrow/train/couae/width1/block0.provenance.json \
    results/celeba/train/couae/width1/seed0/provenance.json \
    --configfile "$repo/presets/quick.yaml" "$work/small.yaml" "$work/gpu.yaml" > "$work/gpu.log" 2>&1 ) || true
grep -E "sbatch call: .*grid_train" "$work/gpu.log" | grep -v -- "--gpu" >/dev/null \
  || { echo "no sbatch call of grid_train without a GPU"; grep -E "sbatch|gpu" "$work/gpu.log" | tail -20; exit 1; }
grep -E "sbatch call: .*celeba_train" "$work/gpu.log" | grep -- "--gpu" >/dev/null \
  || { echo "no sbatch call of celeba_train with a GPU"; grep -E "sbatch|gpu" "$work/gpu.log" | tail -20; exit 1; }
echo "SLURM GPU requests follow the configured devices"
