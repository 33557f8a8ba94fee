#!/usr/bin/perl
# fleet-check.pl - what the Prometheus rules (contrib/prometheus/wstuned-alerts.yml) and the Grafana dashboard
# (contrib/grafana/wstuned-dashboard.json) ask of wstuned's metrics, for the unit and integration tests.
# Perl with the core modules JSON::PP and CPAN::Meta::YAML only (no python on the CI machine).
#
#   fleet-check.pl names RULES DASHBOARD
#       the metric names their expressions use, one a line, sorted
#   fleet-check.pl metrics RULES DASHBOARD -- FILE.prom...
#       every metric they use is a family of the exposition files (what wstuned writes) or one of
#       node_exporter's textfile metrics, every label they match on is one that family has, and every
#       literal value they match (=, =~) is one the files hold
#   fleet-check.pl dashboard DASHBOARD
#       the dashboard's shape: a datasource and a multi-value instance variable, every wstuned selector of
#       every panel filtered by $instance, unique panel ids, the panels the fleet view needs
#   fleet-check.pl rules RULES TESTS DEFAULTS
#       every alert has a severity (warning or critical), a summary and a description; the pressure ratio
#       thresholds are the daemon's defaults (DEFAULTS: "resource warn critical" lines, in percent) and the
#       descriptions say them; the promtool test file has a case that fires and one that must not, per alert
#
# Prints "ok ..." and "FAIL ..." lines; exits 1 when anything failed, 2 on bad usage or unreadable input.
use strict;
use warnings;
use CPAN::Meta::YAML;
use JSON::PP;

# node_exporter's own metrics the rules may use (its textfile collector), with their labels.
my %NODE_EXPORTER = (
        node_textfile_mtime_seconds => [qw(file)],
        node_textfile_scrape_error => [],
);
# Labels Prometheus adds to every scraped series.
my %TARGET_LABELS = map { $_ => 1 } qw(instance job);

my $failed = 0;
sub ok { print "ok $_[0]\n" }
sub fail { print "FAIL $_[0]\n"; $failed = 1 }
sub usage { print STDERR "usage: see the head of $0\n"; exit 2 }

sub slurp {
        my ($path) = @_;
        open my $f, '<', $path or do { print STDERR "$path: $!\n"; exit 2 };
        local $/;
        return <$f>;
}

# ---- PromQL ------------------------------------------------------------------------------------------

# Words that are not metric names where a metric name could stand.
my %KEYWORDS = map { $_ => 1 } qw(and or unless by without on ignoring group_left group_right bool offset
        inf nan sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio);
# Followed by a parenthesised list of label names.
my %LABEL_LIST = map { $_ => 1 } qw(by without on ignoring group_left group_right);

sub unquote {
        my ($s) = @_;
        my $q = substr $s, 0, 1;
        $s = substr $s, 1, -1;
        $s =~ s/\\(.)/$1/g unless $q eq '`';
        return $s;
}

# The selectors of a PromQL expression: [ { name => ..., matchers => [[label, op, value], ...] }, ... ].
# Grafana's variables ($instance, ${x}, [[x]], $__rate_interval) stand where PromQL has values and durations.
sub selectors {
        my ($expr) = @_;
        my (@tokens, @sel);

        while (length $expr) {
                if ($expr =~ s/^\s+//) {
                } elsif ($expr =~ s/^("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)//) {
                        push @tokens, [ 'str', unquote($1) ];
                } elsif ($expr =~ s/^(\[\[\w+\]\]|\$\{[^}]*\}|\$\w+)//) {
                        push @tokens, [ 'var', $1 ];
                } elsif ($expr =~ s/^\{((?:[^}"'`]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)*)\}//) {
                        push @tokens, [ 'matchers', $1 ];
                } elsif ($expr =~ s/^\[[^\]]*\]//) {
                        push @tokens, [ 'range' ];
                } elsif ($expr =~ s/^([a-zA-Z_:][a-zA-Z0-9_:]*)//) {
                        push @tokens, [ 'ident', $1 ];
                } elsif ($expr =~ s/^([0-9][0-9a-zA-Z.]*|\.[0-9][0-9a-zA-Z]*)//) {
                        push @tokens, [ 'number', $1 ];
                } elsif ($expr =~ s/^(.)//s) {
                        push @tokens, [ 'op', $1 ];
                }
        }

        for (my $i = 0; $i < @tokens; $i++) {
                my ($kind, $text) = @{ $tokens[$i] };
                if ($kind eq 'ident' && $LABEL_LIST{$text}) {
                        # skip "by (a, b)": label names, not metrics
                        my $j = $i + 1;
                        next unless $j < @tokens && $tokens[$j][0] eq 'op' && $tokens[$j][1] eq '(';
                        $j++ while $j < @tokens && !($tokens[$j][0] eq 'op' && $tokens[$j][1] eq ')');
                        $i = $j;
                        next;
                }
                my $next = $i + 1 < @tokens ? $tokens[ $i + 1 ] : [ '', '' ];
                if ($kind eq 'ident' && !$KEYWORDS{ lc $text } && !($next->[0] eq 'op' && $next->[1] eq '(')) {
                        my @m = $next->[0] eq 'matchers' ? matchers($next->[1]) : ();
                        push @sel, { name => $text, matchers => \@m };
                } elsif ($kind eq 'matchers' && !($i > 0 && $tokens[ $i - 1 ][0] eq 'ident')) {
                        push @sel, { name => '', matchers => [ matchers($text) ] }; # {__name__=...}
                }
        }
        return @sel;
}

sub matchers {
        my ($text) = @_;
        my @m;
        while ($text =~ /\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*,?/g) {
                push @m, [ $1, $2, unquote($3) ];
        }
        return @m;
}

# ---- the two files -----------------------------------------------------------------------------------

sub load_rules {
        my ($path) = @_;
        my $yaml = CPAN::Meta::YAML->read_string(slurp($path)) or do {
                print STDERR "$path: " . CPAN::Meta::YAML->errstr . "\n";
                exit 2;
        };
        my @rules;
        for my $group (@{ $yaml->[0]{groups} || [] }) {
                push @rules, @{ $group->{rules} || [] };
        }
        @rules or do { print STDERR "$path: no rules\n"; exit 2 };
        return @rules;
}

sub load_dashboard {
        my ($path) = @_;
        my $d = eval { JSON::PP->new->utf8->decode(slurp($path)) };
        $d or do { print STDERR "$path: not JSON: $@"; exit 2 };
        return $d;
}

# Every panel, rows' nested panels included.
sub panels {
        my @out;
        for my $p (@_) {
                push @out, $p, panels(@{ $p->{panels} || [] });
        }
        return @out;
}

# [ where, expression ] of every panel target and every query variable.
sub dashboard_exprs {
        my ($d) = @_;
        my @e;
        for my $p (panels(@{ $d->{panels} || [] })) {
                my $n = 0;
                for my $t (@{ $p->{targets} || [] }) {
                        $n++;
                        push @e, [ "panel \"$p->{title}\" target $n", $t->{expr} ] if defined $t->{expr};
                }
        }
        for my $v (@{ $d->{templating}{list} || [] }) {
                next unless ($v->{type} // '') eq 'query';
                my $q = ref $v->{query} ? $v->{query}{query} : $v->{query};
                next unless defined $q;
                # Grafana's label_values(expr, label): the label is not a metric
                $q = $1 if $q =~ /^\s*label_values\(\s*(.*?)\s*,\s*\w+\s*\)\s*$/s;
                $q = '' if $q =~ /^\s*label_values\(\s*\w+\s*\)\s*$/;
                push @e, [ "variable \$$v->{name}", $q ];
        }
        return @e;
}

sub all_exprs {
        my ($rules, $dashboard) = @_;
        my @e;
        for my $r (grep { defined $_->{alert} } load_rules($rules)) {
                push @e, [ "alert $r->{alert}", $r->{expr} ];
                # queries in the annotation templates: {{ query "expr" }}, {{ printf "expr" ... | query }}
                for my $a (sort keys %{ $r->{annotations} || {} }) {
                        my $text = $r->{annotations}{$a};
                        while ($text =~ /(?:printf|query)\s+"((?:[^"\\]|\\.)*)"/g) {
                                (my $q = $1) =~ s/\\(.)/$1/g;
                                $q =~ s/%[qsvd]/"x"/g; # printf's arguments: label values
                                push @e, [ "alert $r->{alert} $a", $q ];
                        }
                }
        }
        return @e, dashboard_exprs(load_dashboard($dashboard));
}

# ---- names -------------------------------------------------------------------------------------------

sub cmd_names {
        my ($rules, $dashboard) = @_;
        usage() unless defined $dashboard;
        my %names;
        for my $e (all_exprs($rules, $dashboard)) {
                $names{ $_->{name} } = 1 for grep { $_->{name} ne '' } selectors($e->[1]);
        }
        print "$_\n" for sort keys %names;
        return 0;
}

# ---- metrics -----------------------------------------------------------------------------------------

# Families of exposition files: name => { type, help, labels => { label => { value => 1 } } }.
sub read_exposition {
        my %fam;
        for my $path (@_) {
                for my $line (split /\n/, slurp($path)) {
                        if ($line =~ /^# (HELP|TYPE) (\S+) (.*)$/) {
                                $fam{$2}{ lc $1 } = $3;
                        } elsif ($line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/) {
                                my ($name, $labels) = ($1, $2 // '');
                                $fam{$name}{samples}++;
                                $fam{$name}{labels} //= {};
                                for my $m (matchers($labels)) {
                                        $fam{$name}{labels}{ $m->[0] }{ $m->[2] } = 1;
                                }
                        }
                }
        }
        return %fam;
}

sub cmd_metrics {
        my ($rules, $dashboard, $sep, @files) = @_;
        usage() unless defined $sep && $sep eq '--' && @files;
        my %fam = read_exposition(@files);
        my $n_wstuned = grep { /^wstuned_/ } keys %fam;
        $n_wstuned > 0 or do { print STDERR "no wstuned_ family in @files\n"; exit 2 };

        my %checked;
        for my $e (all_exprs($rules, $dashboard)) {
                my ($where, $expr) = @$e;
                for my $s (selectors($expr)) {
                        my $name = $s->{name};
                        if ($name eq '') {
                                fail("$where: a selector without a metric name: $expr");
                                next;
                        }
                        my ($labels, $what);
                        if (exists $NODE_EXPORTER{$name}) {
                                $labels = { map { $_ => undef } @{ $NODE_EXPORTER{$name} } };
                                $what = "node_exporter's $name";
                        } elsif ($fam{$name} && $fam{$name}{type} && $fam{$name}{help} && $fam{$name}{samples}) {
                                $labels = $fam{$name}{labels};
                                $what = "$name ($fam{$name}{type})";
                        } else {
                                fail("$where: $name is not a metric wstuned writes"
                                     . ($name =~ /^wstuned_/ ? '' : ' (nor one of node_exporter\'s textfile metrics)'));
                                next;
                        }
                        my $bad = 0;
                        for my $m (@{ $s->{matchers} }) {
                                my ($label, $op, $value) = @$m;
                                next if $TARGET_LABELS{$label};
                                if (!exists $labels->{$label}) {
                                        fail("$where: $name has no label \"$label\"");
                                        $bad = 1;
                                        next;
                                }
                                # literal values only: Grafana variables are filled in at query time
                                next if $op =~ /^!/ || !defined $labels->{$label} || $value =~ /\$/;
                                my @known = keys %{ $labels->{$label} };
                                # "a|b|c": each alternative must be a value, not just one of them
                                my @alternatives = $op eq '=~' && $value =~ /^[\w.:-]+(\|[\w.:-]+)+$/ ? split(/\|/, $value) : ();
                                for my $alt (grep { my $a = $_; !grep { $_ eq $a } @known } @alternatives) {
                                        fail("$where: $name\{$label$op\"$value\"}: wstuned writes no $label \"$alt\"");
                                        $bad = 1;
                                }
                                my $re = eval { $op eq '=' ? qr/^\Q$value\E$/ : qr/^(?:$value)$/ };
                                if (!$re) {
                                        fail("$where: $name\{$label$op\"$value\"}: not a regular expression perl reads");
                                        $bad = 1;
                                        next;
                                }
                                if (!grep { $_ =~ $re } @known) {
                                        fail("$where: $name\{$label$op\"$value\"} matches none of the values wstuned writes ("
                                             . join(', ', sort @known) . ')');
                                        $bad = 1;
                                }
                        }
                        $checked{$name} //= $what unless $bad;
                }
        }
        ok("used and exported: $checked{$_}") for sort keys %checked;
        return $failed;
}

# ---- dashboard ---------------------------------------------------------------------------------------

# What the fleet view shows (issue #9): a metric per topic, with the resource it must be about.
my @DASHBOARD_NEEDS = (
        [ 'conntrack utilisation', qr/^wstuned_conntrack_(entries|limit)$|^wstuned_pressure_ratio$/, 'conntrack' ],
        [ 'conntrack drops', qr/^wstuned_conntrack_drop_total$/ ],
        [ 'conntrack early drops', qr/^wstuned_conntrack_early_drop_total$/ ],
        [ 'conntrack failed inserts', qr/^wstuned_conntrack_insert_failed_total$/ ],
        [ 'accept-queue overflows', qr/^wstuned_tcp_listen_overflows_total$/ ],
        [ 'port usage', qr/^wstuned_pressure_ratio$/, 'ports' ],
        [ 'fd usage', qr/^wstuned_fds_(allocated|limit)$|^wstuned_pressure_ratio$/, 'fds' ],
        [ 'drift corrections', qr/^wstuned_drift_corrections_total$/ ],
        [ 'pending keys', qr/^wstuned_keys$/, 'pending' ],
        [ 'fighting keys', qr/^wstuned_keys$/, 'fighting' ],
        [ 'active profile', qr/^wstuned_info$/ ],
);

sub cmd_dashboard {
        my ($path) = @_;
        usage() unless defined $path;
        my $d = load_dashboard($path);
        my @vars = @{ $d->{templating}{list} || [] };
        my ($ds) = grep { $_->{name} eq 'datasource' && ($_->{type} // '') eq 'datasource' } @vars;
        $ds && ($ds->{query} // '') eq 'prometheus' ? ok('a Prometheus datasource variable')
                                                     : fail('no datasource variable of type prometheus');
        my ($inst) = grep { $_->{name} eq 'instance' } @vars;
        if ($inst && ($inst->{type} // '') eq 'query' && $inst->{multi} && $inst->{includeAll}) {
                ok('a multi-value instance variable with All');
                my $q = ref $inst->{query} ? $inst->{query}{query} : $inst->{query};
                ($q // '') =~ /^label_values\(\s*wstuned_\w+\s*,\s*instance\s*\)$/
                        ? ok("the instance variable lists hosts with wstuned metrics: $q")
                        : fail("the instance variable's query is not label_values(wstuned_..., instance): " . ($q // ''));
        } else {
                fail('no multi-value query variable "instance" with All');
        }

        my (%ids, %seen);
        my @panels = panels(@{ $d->{panels} || [] });
        for my $p (@panels) {
                my $title = $p->{title} // '(untitled)';
                fail("panel \"$title\" has no id") unless defined $p->{id};
                fail("panel id $p->{id} twice") if defined $p->{id} && $ids{ $p->{id} }++;
                fail("panel \"$title\" has no gridPos") unless ref $p->{gridPos} eq 'HASH';
                next if ($p->{type} // '') eq 'row';
                fail("panel \"$title\" has no title") unless defined $p->{title} && length $p->{title};
                my $pds = $p->{datasource};
                fail("panel \"$title\" does not use \${datasource}")
                        unless ref $pds eq 'HASH' && ($pds->{uid} // '') eq '${datasource}';
                my @targets = @{ $p->{targets} || [] };
                fail("panel \"$title\" has no query") unless @targets;
                for my $t (@targets) {
                        my $expr = $t->{expr} // '';
                        fail("panel \"$title\" target $t->{refId}: empty expression") unless length $expr;
                        for my $s (selectors($expr)) {
                                next unless $s->{name} =~ /^(wstuned_|node_textfile_)/;
                                my @by_instance = grep { $_->[0] eq 'instance' && $_->[1] eq '=~' && $_->[2] eq '$instance' }
                                        @{ $s->{matchers} };
                                @by_instance ? $seen{selectors}++
                                             : fail("panel \"$title\": $s->{name} not filtered by instance=~\"\$instance\"");
                                for my $need (@DASHBOARD_NEEDS) {
                                        my ($topic, $re, $value) = @$need;
                                        next unless $s->{name} =~ $re;
                                        next if defined $value && $s->{name} =~ /^wstuned_(pressure_ratio|keys)$/
                                                && !grep { $_->[2] =~ /(^|\|)\Q$value\E(\||$)/ } @{ $s->{matchers} };
                                        $seen{$topic} = $title;
                                }
                        }
                }
        }
        ok(scalar(@panels) . ' panels, ' . ($seen{selectors} // 0) . ' selectors filtered by $instance');
        for my $need (@DASHBOARD_NEEDS) {
                my $topic = $need->[0];
                $seen{$topic} ? ok("shows $topic (panel \"$seen{$topic}\")") : fail("no panel shows $topic");
        }
        return $failed;
}

# ---- rules -------------------------------------------------------------------------------------------

sub cmd_rules {
        my ($rules_path, $tests_path, $defaults_path) = @_;
        usage() unless defined $defaults_path;
        my @rules = grep { defined $_->{alert} } load_rules($rules_path);
        my %defaults; # resource => [warn, critical]
        for (split /\n/, slurp($defaults_path)) {
                $defaults{$1} = [ $2, $3 ] if /^(\w+) ([\d.]+) ([\d.]+)$/;
        }
        %defaults or do { print STDERR "$defaults_path: no defaults\n"; exit 2 };

        my (%alerts, %thresholds);
        for my $r (@rules) {
                my $name = $r->{alert};
                fail("alert $name twice") if $alerts{$name}++;
                my $sev = $r->{labels}{severity} // '';
                $sev =~ /^(warning|critical)$/ ? ok("$name: severity $sev")
                                                : fail("$name: severity \"$sev\" is not warning or critical");
                for my $a (qw(summary description)) {
                        my $text = $r->{annotations}{$a} // '';
                        length $text >= 20 ? ok("$name: $a") : fail("$name: no $a");
                }
                fail("$name: the description does not say how to fix it")
                        unless ($r->{annotations}{description} // '') =~ /\b(Fix|Check|Find)\b/;
                # a pressure ratio threshold: the daemon's default for its severity, and said in the description
                if ($r->{expr} =~ /^\s*wstuned_pressure_ratio\{resource="(\w+)"\}\s*>=\s*([\d.]+)\s*$/) {
                        my ($res, $ratio) = ($1, $2);
                        my $pct = sprintf '%g', $ratio * 100;
                        my $d = $defaults{$res};
                        if (!$d) {
                                fail("$name: no default threshold for resource $res");
                                next;
                        }
                        my $want = $sev eq 'critical' ? $d->[1] : $d->[0];
                        $pct == $want ? ok("$name: $res at $pct% is the daemon's default " . ($sev eq 'critical' ? 'critical' : 'warn'))
                                      : fail("$name: $res at $pct%, the daemon's default is $want%");
                        $r->{annotations}{description} =~ /\b\Q$pct\E%/
                                ? ok("$name: the description says $pct%")
                                : fail("$name: the description does not say $pct%");
                        $thresholds{"$res $sev"} = 1;
                }
        }
        for my $res (qw(conntrack ports fds)) {
                for my $sev (qw(warning critical)) {
                        $thresholds{"$res $sev"} ? ok("a $sev alert on the $res ratio")
                                                 : fail("no $sev alert on the $res ratio");
                }
        }

        # The test file: after an alertname, "- exp_labels:" is a case that fires; "exp_alerts: []" or no
        # exp_alerts before the next case is one that must not.
        my (%fires, %quiet, $current);
        for (split /\n/, slurp($tests_path), -1) {
                if (defined $current && (/^\s+- eval_time:/ || /^  - interval:/ || /^\S/)) {
                        $quiet{$current}++;
                        undef $current;
                }
                if (/^\s+alertname:\s*(\w+)\s*$/) {
                        $current = $1;
                        fail("test case for an unknown alert $current") unless $alerts{$current};
                } elsif (defined $current && /^\s+exp_alerts:\s*\[\]\s*$/) {
                        $quiet{$current}++;
                        undef $current;
                } elsif (defined $current && /^\s+- exp_labels:/) {
                        $fires{$current}++;
                        undef $current;
                }
        }
        $quiet{$current}++ if defined $current;
        for my $name (sort keys %alerts) {
                $fires{$name} ? ok("$name: $fires{$name} case(s) that fire") : fail("$name: no test case that fires");
                $quiet{$name} ? ok("$name: $quiet{$name} case(s) that must not fire")
                              : fail("$name: no test case that must not fire");
        }
        return $failed;
}

my $cmd = shift // usage();
my %cmds = (names => \&cmd_names, metrics => \&cmd_metrics, dashboard => \&cmd_dashboard, rules => \&cmd_rules);
$cmds{$cmd} or usage();
exit($cmds{$cmd}->(@ARGV) ? 1 : 0);
