#!/usr/bin/env bash
# Starts a single-node Slurm "cluster" on this machine (localhost only), for
# the heavy test that runs kernel blocks through future.batchtools end to end
# (tests/testthat/test-blocks.R, JNTK_HEAVY_TESTS=true). Installs Debian's
# slurm-wlm and munge when missing (root needed), writes a minimal
# slurm.conf (one node "localhost" with this machine's cores, no cgroups, no
# accounting), starts munged, slurmctld and slurmd, and waits until the node
# accepts jobs. Idempotent: a running setup is left alone.
#   bash scripts/slurm-localhost.sh          # start
#   bash scripts/slurm-localhost.sh stop     # stop the daemons it started
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
  for p in slurmd slurmctld munged; do
    if [ -f "/run/jntk-$p.pid" ]; then kill "$(cat "/run/jntk-$p.pid")" 2>/dev/null || true; rm -f "/run/jntk-$p.pid"; fi
  done
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then echo "slurm-localhost: needs root (apt-get, daemons)" >&2; exit 1; fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mixed|alloc'; then
  echo "slurm-localhost: already running"; exit 0
fi
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p /etc/slurm /var/lib/slurm/slurmd /var/lib/slurm/slurmctld /var/log/slurm /run/munge /etc/munge /var/lib/munge /var/log/munge
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=jntk
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/lib/slurm/slurmd
StateSaveLocation=/var/lib/slurm/slurmctld
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
[ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || \
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  if id munge >/dev/null 2>&1; then su -s /bin/sh munge -c "munged" ; else munged --force; fi
  pgrep -xo munged > /run/jntk-munged.pid
fi
pgrep -x slurmctld >/dev/null || { slurmctld; sleep 1; pgrep -xo slurmctld > /run/jntk-slurmctld.pid; }
pgrep -x slurmd >/dev/null || { slurmd -N localhost; sleep 1; pgrep -xo slurmd > /run/jntk-slurmd.pid; }
for i in $(seq 1 30); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mixed'; then
    echo "slurm-localhost: node localhost up ($cpus CPUs)"; exit 0
  fi
  scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
  sleep 1
done
echo "slurm-localhost: the node did not come up; see /var/log/slurm/*.log" >&2
sinfo >&2 || true
exit 1
