# Clones on a shared libvirt network (NAT, libvirt's dnsmasq, inside the
# harness's network namespace): with the guest kit each clone takes its own
# MAC and lease; without it every clone keeps the template's MAC.

load helpers

setup_file() {
	cat >"$BATS_FILE_TMPDIR/net.xml" <<-EOF
		<network>
		  <name>vtnat</name>
		  <forward mode='nat'/>
		  <bridge name='vtbr0' stp='off' delay='0'/>
		  <ip address='192.168.77.1' netmask='255.255.255.0'>
		    <dhcp><range start='192.168.77.10' end='192.168.77.99'/></dhcp>
		  </ip>
		</network>
	EOF
	virsh -q net-define "$BATS_FILE_TMPDIR/net.xml" >/dev/null
	virsh -q net-start vtnat >/dev/null
	net_template nt ""
	net_template nt-nokit "vt.nokit=1"
}

teardown_file() {
	virt-template -q delete --force nt || true
	virt-template -q delete --force nt-nokit || true
	virsh -q net-destroy vtnat || true
	virsh -q net-undefine vtnat || true
}

# Template $1 of the bundled guest on network vtnat; kernel arguments $2.
net_template() {
	plain_xml "$1" | sed -e "s|<interface type='user'>|<interface type='network'><source network='vtnat'/>|" \
		-e "s|panic=-1|panic=-1 $2|" >"$BATS_FILE_TMPDIR/$1.xml"
	virt-template -q create "$1" --xml "$BATS_FILE_TMPDIR/$1.xml" --wait-console "$VT_READY" --timeout 120
}

domif_mac() { virsh domiflist "$1" | awk 'NR > 2 && $5 {print $5; exit}'; }

# The address dnsmasq leased to MAC $1, waiting for it (bounded).
lease_of() {
	local ip
	for _ in $(seq 300); do
		ip=$(virsh net-dhcp-leases vtnat --mac "$1" 2>/dev/null | awk '/ipv4/ {sub("/.*", "", $5); print $5; exit}')
		[ -n "$ip" ] && { echo "$ip"; return 0; }
		sleep 0.1
	done
	echo "no lease for $1" >&2
	return 1
}

# What the guest at $1 answers on port 7 (its hostname).
answer_of() { tcp_answer "$1" 7; }

@test "with the kit, two clones get their own MAC (the one domiflist shows) and their own lease, and reach each other" {
	virt-template -q clone nt nt-1 nt-2
	local c ip1 ip2
	for c in nt-1 nt-2; do
		timeout "$START_TIMEOUT" virsh -q start "$c"
		wait_for_file_match "$(console_log "$c")" "virt-template-guest: identity applied: name=$c" 30
	done
	ip1=$(lease_of "$(domif_mac nt-1)")
	ip2=$(lease_of "$(domif_mac nt-2)")
	[ "$ip1" != "$ip2" ]
	[ "$(answer_of "$ip1")" = nt-1 ]
	[ "$(answer_of "$ip2")" = nt-2 ]
	# From one clone to the other, inside the guests.
	guest_command nt-1 "reach $ip2"
	wait_for_file_match "$(console_log nt-1)" "^VT-REACH nt-2" 30
}

@test "without the kit, every clone keeps the template's MAC: one MAC, one lease (the README warns)" {
	local template_mac
	template_mac=$(sed -n "s/.*<mac address='\([0-9a-f:]*\)'.*/\1/p" "$VT_STATEDIR/nt-nokit/domain.xml" | head -n 1)
	virt-template -q clone nt-nokit nk-a nk-b
	for c in nk-a nk-b; do
		timeout "$START_TIMEOUT" virsh -q start "$c"
		wait_for_file_match "$(console_log "$c")" VT-TICK 30
		[ "$(domif_mac "$c")" != "$template_mac" ]
	done
	guest_command nk-a "ident"
	wait_for_file_match "$(console_log nk-a)" "^VT-ID .*mac=$template_mac" 30
	guest_command nk-b "ident"
	wait_for_file_match "$(console_log nk-b)" "^VT-ID .*mac=$template_mac" 30
}
