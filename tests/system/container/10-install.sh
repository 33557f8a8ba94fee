# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 10-install.sh - the README's install commands, as written. The first line of its install block
# (the package build) ran on the host in run.sh; the others run here as root in the container's
# /var/tmp, where run.sh put the package under dist/, so "./dist/wstuned_*.deb" names it unchanged.
local -a lines
local line block introspect='' journal=''
block=$(readme_block install)
mapfile -t lines <<<"$block"
for line in 'tools/build-deb.sh' 'apt install ./dist/wstuned_*.deb' 'systemctl enable --now wstuned' \
        'busctl introspect io.wstune.wstuned1 /io/wstune/wstuned1' 'journalctl -u wstuned'; do
        if printf '%s\n' "$block" | grep -qFx -- "$line"; then pass "README install block has: $line"
        else fail "README install block has: $line" "block: $block"; fi
done
check_eq "README install block: the build comes first (run on the host)" "tools/build-deb.sh" "${lines[0]}"

for line in "${lines[@]:1}"; do
        check_rc "README: $line" 0 ct_sh "cd /var/tmp && $line"
        case $line in
        busctl\ introspect*) introspect=$OUT ;;
        journalctl*) journal=$OUT ;;
        esac
done

check_eq "dpkg: wstuned installed" "install ok installed" "$(ct dpkg-query -W -f='${Status}' wstuned 2>&1)"
check_match "README's busctl introspect shows the Manager interface" '^io\.wstune\.wstuned1\.Manager +interface' "$introspect"
check_match "README's journalctl -u wstuned shows the daemon ready" 'wstuned\[[0-9]+\]: wstuned [0-9][^ ]* ready' "$journal"
