#!/bin/bash
# PID 1 of a lab VM (recovery-kit vmlab). Mounts the kernel file systems and the 9p shares named
# on the kernel command line, then serves the host's commands on the virtio-serial port "rk.ctl".
#
# Wire protocol, one line each way (every field after the keyword is base64 without wrapping):
#   host -> guest  REQ <id> <timeout-seconds> <argv: NUL-separated> <stdin, or - for none>
#   guest -> host  RES <id> <exit code> <stdout> <stderr>      (124/137: timed out / killed)
#   guest -> host  READY <kernel release>                       (once, when the agent starts)
# The argv is run as a program with its arguments, never through a shell; each request runs in
# its own process, so a long command does not hold up the others.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/root

mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/lock /var/run
mount -o remount,rw / 2>/dev/null

arg() { local a; for a in $(cat /proc/cmdline); do [[ $a == "$1="* ]] && { echo "${a#*=}"; return 0; }; done; return 1; }
host=$(arg rk.hostname) && { hostname "$host"; echo "$host" > /etc/hostname; }
hostname=$(hostname)
grep -q "[[:space:]]$hostname\$" /etc/hosts 2>/dev/null || echo "127.0.1.1 $hostname" >> /etc/hosts

for m in virtio_console virtio_net 9pnet_virtio 9p af_packet; do modprobe -q "$m" 2>/dev/null; done
ip link set lo up
# 9p shares: rk.mounts=tag:/guest/path[:ro],...
if mounts=$(arg rk.mounts); then
  IFS=, read -ra list <<< "$mounts"
  for m in "${list[@]}"; do
    IFS=: read -r tag path mode <<< "$m"
    mkdir -p "$path"
    mount -t 9p -o "trans=virtio,version=9p2000.L,msize=524288${mode:+,$mode}" "$tag" "$path" || echo "rk-init: mount $tag on $path failed" >&2
  done
fi

port=
for _ in $(seq 1 100); do
  for p in /sys/class/virtio-ports/*; do
    [[ -r $p/name && $(cat "$p/name") == rk.ctl ]] && port=/dev/${p##*/}
  done
  [[ -n $port && -c $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { echo "rk-init: no virtio-serial port rk.ctl; halting" >&2; while :; do sleep 3600; done; }

lock=/run/rk-ctl.lock
handle() {
  local id=$1 tmo=$2 argv64=$3 in64=$4 dir rc
  dir=$(mktemp -d /run/rk-req.XXXXXX)
  printf %s "$argv64" | base64 -d > "$dir/argv"
  if [[ $in64 == - ]]; then : > "$dir/in"; else printf %s "$in64" | base64 -d > "$dir/in"; fi
  mapfile -d '' argv < "$dir/argv"
  if ((${#argv[@]} == 0)); then
    echo "rk-init: empty command" > "$dir/err"; : > "$dir/out"; rc=127
  else
    timeout -k 5 "$tmo" "${argv[@]}" < "$dir/in" > "$dir/out" 2> "$dir/err"; rc=$?
  fi
  {
    flock 9
    printf 'RES %s %s %s %s\n' "$id" "$rc" "$(base64 -w0 < "$dir/out")" "$(base64 -w0 < "$dir/err")" >&7
  } 9> "$lock"
  rm -rf "$dir"
}

# A virtio-serial port can be open only once (a second open fails with EBUSY), and a read
# returns end-of-file while the host side is not connected. So each agent runs in a subshell
# of its own, which holds the port on one read-write descriptor (7) for every request and
# releases it when it ends; the loop opens the port again (the host may connect late or
# reconnect). Requests still running keep the old descriptor until they have answered.
agent() {
  exec 7<> "$port" || return 1
  { flock 9; printf 'READY %s\n' "$(uname -r)" >&7; } 9> "$lock"
  local kw id tmo a i
  while read -r kw id tmo a i <&7; do
    [[ $kw == REQ ]] || continue
    ( handle "$id" "$tmo" "$a" "$i" ) &
  done
}

( n=0; while :; do ( agent ); n=$((n + 1)); ((n % 20 == 1)) && echo "rk-init: control port $port closed or busy ($n); opening it again" >&2; sleep 0.5; done ) &

# PID 1: reap every orphan (a killed daemon must not linger as a zombie) and never exit.
trap '' TERM INT HUP
while :; do wait -n 2>/dev/null || sleep 1; done
