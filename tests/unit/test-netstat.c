/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-netstat.c - /proc/net/netstat, /proc/net/sockstat, fs.file-nr and ip_local_port_range parsers and the
 * pressure ratios, from tables; then the real files of this process. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netstat.h"
#include "test-helpers.h"

#define U64_MAX_STR "18446744073709551615"
#define U64_PAST_MAX_STR "18446744073709551616"

/* `cat /proc/net/netstat` on Linux 6.18 (the machine these tests were written on), byte for byte but for the
 * values: the host's counters changed, the ones under test given by the macro's arguments (columns 23, 24,
 * 79 and 80). Inside `unshare -n` the names are the same and every value is 0. */
#define TCPEXT_NAMES \
        "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned" \
        " OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive" \
        " PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked" \
        " DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery" \
        " TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo" \
        " TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures" \
        " TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes" \
        " TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce" \
        " TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose" \
        " TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures" \
        " TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo" \
        " TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged" \
        " TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop" \
        " IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail" \
        " TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge" \
        " TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail" \
        " TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues" \
        " BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv" \
        " TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect" \
        " TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq" \
        " TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive" \
        " TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop" \
        " TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash" \
        " TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash" \
        " TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps\n"

#define TCPEXT_VALUES_HOST(lo, ld, dc, qd) \
        "TcpExt: 0 0 0 0 0 0 0 0 0 0 3589 0 0 0 0 0 0 0 0 0 0 16 " lo " " ld \
        " 343 3607 34 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 13 0 0 0 0 0 1069 16 0 0 0 10 0 0 0 0 0 0 0 0 0 0 0" \
        " 0 0 0 0 0 0 0 0 0 0 0 0 " dc " " qd \
        " 0 68341 19 0 0 0 0 0 0 0 0 0 0 0 13 0 13 5935 5935 2260 0 8197 0 0 0 0 0 0 0 0 0 0 0 0 0 0" \
        " 11782 0 0 0 0 0 0 13 0 0 0 0 0 0 0 0 0 0 0\n"

#define TCPEXT_VALUES_NETNS(lo, ld, dc, qd) \
        "TcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 " lo " " ld \
        " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0" \
        " 0 0 0 0 0 0 " dc " " qd \
        " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0" \
        " 0 0 0 0 0 0 0\n"

#define IPEXT_NAMES \
        "IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets" \
        " OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts" \
        " InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps\n"

#define IPEXT_VALUES_HOST \
        "IpExt: 0 0 0 0 0 0 3564660241 5691679 0 0 0 0 0 110299 0 0 0 0\n"

#define IPEXT_VALUES_NETNS \
        "IpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

#define MPTCPEXT_NAMES \
        "MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX MPCapableACKRX MPCapableFallbackACK" \
        " MPCapableFallbackSYNACK MPCapableSYNTXDrop MPCapableSYNTXDisabled MPCapableEndpAttempt" \
        " MPFallbackTokenInit MPTCPRetrans MPJoinNoTokenFound MPJoinSynRx MPJoinSynBackupRx" \
        " MPJoinSynAckRx MPJoinSynAckBackupRx MPJoinSynAckHMacFailure MPJoinAckRx MPJoinAckHMacFailure" \
        " MPJoinRejected MPJoinSynTx MPJoinSynTxCreatSkErr MPJoinSynTxBindErr MPJoinSynTxConnectErr" \
        " DSSNotMatching DSSCorruptionFallback DSSCorruptionReset InfiniteMapTx InfiniteMapRx" \
        " DSSNoMatchTCP DataCsumErr OFOQueueTail OFOQueue OFOMerge NoDSSInWindow DuplicateData AddAddr" \
        " AddAddrTx AddAddrTxDrop EchoAdd EchoAddTx EchoAddTxDrop PortAdd AddAddrDrop MPJoinPortSynRx" \
        " MPJoinPortSynAckRx MPJoinPortAckRx MismatchPortSynRx MismatchPortAckRx RmAddr RmAddrDrop" \
        " RmAddrTx RmAddrTxDrop RmSubflow MPPrioTx MPPrioRx MPFailTx MPFailRx MPFastcloseTx MPFastcloseRx" \
        " MPRstTx MPRstRx SubflowStale SubflowRecover SndWndShared RcvWndShared RcvWndConflictUpdate" \
        " RcvWndConflict MPCurrEstab Blackhole MPCapableDataFallback MD5SigFallback DssFallback" \
        " SimultConnectFallback FallbackFailed WinProbe\n"

#define MPTCPEXT_VALUES \
        "MPTcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0" \
        " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

#define NETSTAT_HOST(lo, ld, dc, qd) \
        TCPEXT_NAMES TCPEXT_VALUES_HOST(lo, ld, dc, qd) IPEXT_NAMES IPEXT_VALUES_HOST MPTCPEXT_NAMES MPTCPEXT_VALUES
#define NETSTAT_NETNS(lo, ld, dc, qd) \
        TCPEXT_NAMES TCPEXT_VALUES_NETNS(lo, ld, dc, qd) IPEXT_NAMES IPEXT_VALUES_NETNS MPTCPEXT_NAMES MPTCPEXT_VALUES
#define NETSTAT_IP_ONLY IPEXT_NAMES IPEXT_VALUES_HOST MPTCPEXT_NAMES MPTCPEXT_VALUES

typedef struct NetstatCase {
        const char *text;
        int ret;
        ListenCounters c;
} NetstatCase;

static const NetstatCase netstat_cases[] = {
        { NETSTAT_HOST("5", "7", "11", "13"), 0, { 5, 7, 13, 11 } },
        { NETSTAT_HOST("0", "0", "0", "0"), 0, { 0, 0, 0, 0 } },
        { NETSTAT_NETNS("1", "2", "3", "4"), 0, { 1, 2, 4, 3 } },
        { NETSTAT_NETNS("0", "0", "0", "0"), 0, { 0, 0, 0, 0 } },
        { NETSTAT_HOST(U64_MAX_STR, U64_MAX_STR, U64_MAX_STR, U64_MAX_STR), 0, { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX } },
        { NETSTAT_HOST("18446744073709551614", "00042", "0", U64_MAX_STR), 0, { UINT64_MAX - 1, 42, UINT64_MAX, 0 } },
        /* TcpExt after the other sections */
        { NETSTAT_IP_ONLY TCPEXT_NAMES TCPEXT_VALUES_HOST("5", "7", "11", "13"), 0, { 5, 7, 13, 11 } },
        /* columns matched by name, wherever they are */
        { "TcpExt: TCPReqQFullDrop ListenDrops SyncookiesSent ListenOverflows TCPReqQFullDoCookies\n"
          "TcpExt: 4 2 9 1 3\n", 0, { 1, 2, 4, 3 } },
        { "TcpExt: ListenDrops ListenOverflows\nTcpExt: 20 10\n", 0, { 10, 20, 0, 0 } },
        /* older kernels: TCPReqQFullDoCookies and TCPReqQFullDrop came in 3.x; a missing counter is 0 */
        { "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPHPHits\nTcpExt: 1 2 3 4\n", 0, { 2, 3, 0, 0 } },
        { "TcpExt: SyncookiesSent\nTcpExt: 1\n", 0, { 0, 0, 0, 0 } },
        /* a name that only starts like one under test */
        { "TcpExt: ListenDropsX ListenDrop ListenDrops\nTcpExt: 1 2 3\n", 0, { 0, 3, 0, 0 } },
        /* blanks and the end of the buffer */
        { "TcpExt:\tListenOverflows  ListenDrops\t\nTcpExt:  6\t8 \n", 0, { 6, 8, 0, 0 } },
        { "TcpExt: ListenOverflows ListenDrops\nTcpExt: 6 8", 0, { 6, 8, 0, 0 } },
        /* only the first pair counts */
        { "TcpExt: ListenDrops\nTcpExt: 1\nTcpExt: ListenDrops\nTcpExt: 2\n", 0, { 0, 1, 0, 0 } },

        /* missing TcpExt */
        { NETSTAT_IP_ONLY, -EINVAL },
        { "", -EINVAL },
        { "\n", -EINVAL },
        { "\n\n\n", -EINVAL },
        { "TcpExt", -EINVAL },
        { "TcpExtX: ListenDrops\nTcpExtX: 1\n", -EINVAL },
        { "tcpext: ListenDrops\ntcpext: 1\n", -EINVAL },
        { " TcpExt: ListenDrops\n TcpExt: 1\n", -EINVAL },
        { "TcpExt ListenDrops\nTcpExt 1\n", -EINVAL },
        /* garbage */
        { "\x01\xff\xfe garbage \x7f\n", -EINVAL },
        { "TcpExt: \x01\xff\nTcpExt: 1\n", -EINVAL },
        /* header without its value line */
        { TCPEXT_NAMES, -EINVAL },
        { TCPEXT_NAMES IPEXT_NAMES IPEXT_VALUES_HOST, -EINVAL },
        { "TcpExt: ListenDrops", -EINVAL },
        { "TcpExt: ListenDrops\n\nTcpExt: 1\n", -EINVAL },
        { "TcpExt: ListenDrops\n1\n", -EINVAL },
        /* an empty pair */
        { "TcpExt:\nTcpExt:\n", -EINVAL },
        { "TcpExt: \nTcpExt:\t\n", -EINVAL },
        /* header/value count mismatch, either way, in the real format too */
        { TCPEXT_NAMES "TcpExt: 0 0 0\n", -EINVAL },
        { TCPEXT_NAMES TCPEXT_VALUES_HOST("1", "2", "3", "4 5"), -EINVAL },
        { "TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\n", -EINVAL },
        { "TcpExt: ListenOverflows\nTcpExt: 1 2\n", -EINVAL },
        { "TcpExt: ListenOverflows ListenDrops\nTcpExt:\n", -EINVAL },
        /* values that are no decimal 64-bit number, under test or not */
        { NETSTAT_HOST(U64_PAST_MAX_STR, "0", "0", "0"), -EINVAL },
        { NETSTAT_HOST("0", "99999999999999999999999", "0", "0"), -EINVAL },
        { NETSTAT_HOST("-1", "0", "0", "0"), -EINVAL },
        { NETSTAT_HOST("+1", "0", "0", "0"), -EINVAL },
        { NETSTAT_HOST("0x10", "0", "0", "0"), -EINVAL },
        { NETSTAT_HOST("1a", "0", "0", "0"), -EINVAL },
        { NETSTAT_HOST("1.5", "0", "0", "0"), -EINVAL },
        { "TcpExt: SyncookiesSent ListenDrops\nTcpExt: x 1\n", -EINVAL },
        { "TcpExt: SyncookiesSent ListenDrops\nTcpExt: " U64_PAST_MAX_STR " 1\n", -EINVAL },
        /* two value lines: no names */
        { "TcpExt: 1 2\nTcpExt: 1 2\n", -EINVAL },
        /* a counter named twice is ambiguous */
        { "TcpExt: ListenDrops ListenDrops\nTcpExt: 1 2\n", -EINVAL },
};

START_TEST(test_netstat_parse_listen) {
        const NetstatCase *c = &netstat_cases[_i];
        ListenCounters got = { 42, 43, 44, 45 };

        ck_assert_int_eq(netstat_parse_listen(c->text, &got), c->ret);
        if (c->ret < 0) {
                /* outputs are left alone on failure */
                ck_assert_uint_eq(got.listen_overflows, 42);
                ck_assert_uint_eq(got.listen_drops, 43);
                ck_assert_uint_eq(got.req_q_full_drop, 44);
                ck_assert_uint_eq(got.req_q_full_do_cookies, 45);
                return;
        }
        ck_assert_uint_eq(got.listen_overflows, c->c.listen_overflows);
        ck_assert_uint_eq(got.listen_drops, c->c.listen_drops);
        ck_assert_uint_eq(got.req_q_full_drop, c->c.req_q_full_drop);
        ck_assert_uint_eq(got.req_q_full_do_cookies, c->c.req_q_full_do_cookies);
}
END_TEST

/* `cat /proc/net/sockstat` on the same machine, on the host and inside `unshare -n` ("sockets: used 0"), with
 * the values under test given by the arguments. */
#define SOCKSTAT(used, inuse, orphan, tw) \
        "sockets: used " used "\n" \
        "TCP: inuse " inuse " orphan " orphan " tw " tw " alloc 1 mem 438\n" \
        "UDP: inuse 0 mem 0\n" \
        "UDPLITE: inuse 0\n" \
        "RAW: inuse 0\n" \
        "FRAG: inuse 0 memory 0\n"

typedef struct SockStatCase {
        const char *text;
        int ret;
        SockStat s; /* tcp_inuse, tcp_tw, tcp_orphan, sockets_used */
} SockStatCase;

static const SockStatCase sockstat_cases[] = {
        { SOCKSTAT("11", "1", "0", "0"), 0, { 1, 0, 0, 11 } },
        { SOCKSTAT("0", "0", "0", "0"), 0, { 0, 0, 0, 0 } },
        { SOCKSTAT("52311", "40213", "17", "28001"), 0, { 40213, 28001, 17, 52311 } },
        { SOCKSTAT(U64_MAX_STR, U64_MAX_STR, U64_MAX_STR, U64_MAX_STR), 0, { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX } },
        { SOCKSTAT("4", "1", "2", "3"), 0, { 1, 3, 2, 4 } },
        /* keys by name, unknown ones skipped, alloc and mem optional */
        { "sockets: used 9\nTCP: tw 3 future 7 orphan 2 inuse 1\n", 0, { 1, 3, 2, 9 } },
        { "TCP: inuse 1 orphan 2 tw 3\nsockets: used 9", 0, { 1, 3, 2, 9 } },
        { "sockets:\tused  9\t\nTCP:  inuse\t1 orphan 2 tw 3 \n", 0, { 1, 3, 2, 9 } },
        /* /proc/net/sockstat6's TCP6 line is another protocol */
        { "TCP6: inuse 5\nsockets: used 9\nTCP: inuse 1 orphan 2 tw 3\n", 0, { 1, 3, 2, 9 } },
        /* only the first TCP line counts */
        { "sockets: used 9\nTCP: inuse 1 orphan 2 tw 3\nTCP: inuse x\n", 0, { 1, 3, 2, 9 } },

        /* no TCP line */
        { "sockets: used 11\nUDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n", -EINVAL },
        { "sockets: used 11\nTCP6: inuse 1 orphan 2 tw 3\n", -EINVAL },
        { "sockets: used 11\nTCPX: inuse 1 orphan 2 tw 3\n", -EINVAL },
        { "sockets: used 11\ntcp: inuse 1 orphan 2 tw 3\n", -EINVAL },
        { "sockets: used 11\n TCP: inuse 1 orphan 2 tw 3\n", -EINVAL },
        /* no sockets line */
        { "TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 438\nUDP: inuse 0 mem 0\n", -EINVAL },
        { "sockets: \nTCP: inuse 1 orphan 0 tw 0\n", -EINVAL },
        /* empty and garbage */
        { "", -EINVAL },
        { "\n", -EINVAL },
        { "\x01\xff\xfe garbage \x7f\n", -EINVAL },
        { "sockets: used 11\nTCP: \x01\xff 1 orphan 0 tw 0\n", -EINVAL },
        /* a key missing */
        { "sockets: used 11\nTCP: inuse 1 orphan 0 alloc 1 mem 438\n", -EINVAL },
        { "sockets: used 11\nTCP: orphan 0 tw 0 alloc 1 mem 438\n", -EINVAL },
        { "sockets: used 11\nTCP: inuse 1 tw 0 alloc 1 mem 438\n", -EINVAL },
        { "sockets: used 11\nTCP:\n", -EINVAL },
        /* malformed pairs */
        { "sockets: used 11\nTCP: inuse 1 orphan 0 tw\n", -EINVAL },
        { "sockets: used 11\nTCP: inuse 1 orphan 0 tw 0 alloc\n", -EINVAL },
        { "sockets: used\nTCP: inuse 1 orphan 0 tw 0\n", -EINVAL },
        { "sockets: used 11\nTCP: inuse 1 orphan 0 tw 0 1\n", -EINVAL },
        { "sockets: used 11\nTCP: inuse 1 inuse 2 orphan 0 tw 0\n", -EINVAL },
        /* what follows the TCP line is no concern of it */
        { "sockets: used 11\nTCP: inuse 1 orphan 0 tw 0\n5\n", 0, { 1, 0, 0, 11 } },
        /* values */
        { SOCKSTAT("11", U64_PAST_MAX_STR, "0", "0"), -EINVAL },
        { SOCKSTAT(U64_PAST_MAX_STR, "1", "0", "0"), -EINVAL },
        { SOCKSTAT("11", "-1", "0", "0"), -EINVAL },
        { SOCKSTAT("11", "1", "0", "0x1"), -EINVAL },
        { SOCKSTAT("11", "1", "zero", "0"), -EINVAL },
        { "sockets: used 11\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem lots\n", -EINVAL },
};

START_TEST(test_sockstat_parse) {
        const SockStatCase *c = &sockstat_cases[_i];
        SockStat got = { 42, 43, 44, 45 };

        ck_assert_int_eq(sockstat_parse(c->text, &got), c->ret);
        if (c->ret < 0) {
                ck_assert_uint_eq(got.tcp_inuse, 42);
                ck_assert_uint_eq(got.tcp_tw, 43);
                ck_assert_uint_eq(got.tcp_orphan, 44);
                ck_assert_uint_eq(got.sockets_used, 45);
                return;
        }
        ck_assert_uint_eq(got.tcp_inuse, c->s.tcp_inuse);
        ck_assert_uint_eq(got.tcp_tw, c->s.tcp_tw);
        ck_assert_uint_eq(got.tcp_orphan, c->s.tcp_orphan);
        ck_assert_uint_eq(got.sockets_used, c->s.sockets_used);
}
END_TEST

typedef struct FileNrCase {
        const char *text;
        int ret;
        FileNr f;
} FileNrCase;

static const FileNrCase file_nr_cases[] = {
        /* `cat /proc/sys/fs/file-nr`, host and `unshare -n` alike, values changed */
        { "412\t0\t2466177\n", 0, { 412, 0, 2466177 } },
        { "1048576\t0\t9223372036854775807\n", 0, { 1048576, 0, 9223372036854775807u } },
        { U64_MAX_STR "\t0\t" U64_MAX_STR "\n", 0, { UINT64_MAX, 0, UINT64_MAX } },
        { U64_MAX_STR "\t" U64_MAX_STR "\t" U64_MAX_STR "\n", 0, { UINT64_MAX, UINT64_MAX, UINT64_MAX } },
        { "412\t17\t2466177\n", 0, { 412, 17, 2466177 } }, /* kernels before 2.6 counted unused */
        { "0\t0\t0\n", 0, { 0, 0, 0 } },
        /* spaces instead of tabs, no newline */
        { "412 0 2466177\n", 0, { 412, 0, 2466177 } },
        { "412  0 \t 2466177  \n", 0, { 412, 0, 2466177 } },
        { "412\t0\t2466177", 0, { 412, 0, 2466177 } },

        { "", -EINVAL },
        { "\n", -EINVAL },
        { "\x01\xff\xfe garbage \x7f\n", -EINVAL },
        { "412\t0\n", -EINVAL },
        { "412\n", -EINVAL },
        { "412\t0\t2466177\t5\n", -EINVAL },
        { "412\t0\n2466177\n", -EINVAL },
        { "412\t0\t2466177\n\n", -EINVAL },
        { "412\t0\t2466177\nx", -EINVAL },
        { "412\t0\t" U64_PAST_MAX_STR "\n", -EINVAL },
        { "-1\t0\t2466177\n", -EINVAL },
        { "412\t0\t2466177x\n", -EINVAL },
        { "412,0,2466177\n", -EINVAL },
        { "1\t2\t2466177\n", -EINVAL }, /* more unused than allocated */
};

START_TEST(test_file_nr_parse) {
        const FileNrCase *c = &file_nr_cases[_i];
        FileNr got = { 42, 43, 44 };

        ck_assert_int_eq(file_nr_parse(c->text, &got), c->ret);
        if (c->ret < 0) {
                ck_assert_uint_eq(got.allocated, 42);
                ck_assert_uint_eq(got.unused, 43);
                ck_assert_uint_eq(got.max, 44);
                return;
        }
        ck_assert_uint_eq(got.allocated, c->f.allocated);
        ck_assert_uint_eq(got.unused, c->f.unused);
        ck_assert_uint_eq(got.max, c->f.max);
}
END_TEST

typedef struct PortRangeCase {
        const char *text;
        int ret; /* the number of ports, or an error */
        uint32_t lo, hi;
} PortRangeCase;

static const PortRangeCase port_range_cases[] = {
        /* `sysctl -n net.ipv4.ip_local_port_range` as the kernel prints it */
        { "32768\t60999\n", 28232, 32768, 60999 },
        { "1024\t65535\n", 64512, 1024, 65535 },
        { "1\t65535\n", 65535, 1, 65535 },
        { "40000\t40000\n", 1, 40000, 40000 },
        { "1 1", 1, 1, 1 },
        { "65535 65535\n", 1, 65535, 65535 },
        { "15000  15001 \n", 2, 15000, 15001 },

        /* reversed */
        { "60999\t32768\n", -EINVAL },
        { "2 1\n", -EINVAL },
        /* 0 and 65536 */
        { "0\t60999\n", -EINVAL },
        { "0 0\n", -EINVAL },
        { "32768\t65536\n", -EINVAL },
        { "65536\t65536\n", -EINVAL },
        { "32768\t4294967297\n", -EINVAL },
        { "32768\t" U64_PAST_MAX_STR "\n", -EINVAL },
        /* extra or missing fields */
        { "32768\t60999\t1\n", -EINVAL },
        { "32768\t60999\n1\n", -EINVAL },
        { "32768\n", -EINVAL },
        { "32768\n60999\n", -EINVAL },
        { "", -EINVAL },
        { "\n", -EINVAL },
        /* garbage */
        { "\x01\xff\xfe garbage \x7f\n", -EINVAL },
        { "-1\t60999\n", -EINVAL },
        { "32768-60999\n", -EINVAL },
        { "0x8000\t60999\n", -EINVAL },
};

START_TEST(test_port_range_parse) {
        const PortRangeCase *c = &port_range_cases[_i];
        uint32_t lo = 42, hi = 43;

        ck_assert_int_eq(port_range_parse(c->text, &lo, &hi), c->ret);
        if (c->ret < 0) {
                ck_assert_uint_eq(lo, 42);
                ck_assert_uint_eq(hi, 43);
                return;
        }
        ck_assert_uint_eq(lo, c->lo);
        ck_assert_uint_eq(hi, c->hi);
        ck_assert_uint_eq(hi - lo + 1, (unsigned) c->ret);
}
END_TEST

typedef struct PortsRatioCase {
        uint64_t inuse, tw;
        uint32_t lo, hi;
        double ratio;
} PortsRatioCase;

static const PortsRatioCase ports_ratio_cases[] = {
        { 0, 0, 32768, 60999, 0 },
        { 14116, 0, 32768, 60999, 0.5 },
        { 7058, 7058, 32768, 60999, 0.5 },
        { 14116, 14116, 32768, 60999, 1 },
        { 28232, 28232, 32768, 60999, 2 }, /* more sockets than ports: listeners and accepted ones count too */
        { 1, 0, 40000, 40000, 1 },
        { 65535, 0, 1, 65535, 1 },
        { UINT64_MAX, UINT64_MAX, 1, 65535, 2.0 * 18446744073709551615.0 / 65535 }, /* no 64-bit wrap */
        /* ranges port_range_parse() rejects */
        { 10, 10, 60999, 32768, 0 },
        { 10, 10, 0, 100, 0 },
        { 10, 10, 1, 65536, 0 },
};

START_TEST(test_ports_ratio) {
        const PortsRatioCase *c = &ports_ratio_cases[_i];
        SockStat s = { .tcp_inuse = c->inuse, .tcp_tw = c->tw, .tcp_orphan = 99, .sockets_used = 99 };

        ck_assert_double_eq_tol(ports_ratio(&s, c->lo, c->hi), c->ratio, c->ratio * 1e-12 + 1e-12);
}
END_TEST

typedef struct FdsRatioCase {
        FileNr f;
        double ratio;
} FdsRatioCase;

static const FdsRatioCase fds_ratio_cases[] = {
        { { 0, 0, 1000 }, 0 },
        { { 250, 0, 1000 }, 0.25 },
        { { 300, 50, 1000 }, 0.25 },
        { { 1000, 0, 1000 }, 1 },
        { { 1500, 0, 1000 }, 1.5 }, /* root may go past file-max */
        { { 50, 50, 1000 }, 0 },
        { { UINT64_MAX, 0, UINT64_MAX }, 1 },
        { { 1, 0, UINT64_MAX }, 1.0 / 18446744073709551615.0 },
        /* file-max 0 */
        { { 0, 0, 0 }, 0 },
        { { 5, 0, 0 }, 1 },
        /* more unused than allocated, which file_nr_parse() rejects */
        { { 1, 2, 1000 }, 0 },
};

START_TEST(test_fds_ratio) {
        const FdsRatioCase *c = &fds_ratio_cases[_i];

        ck_assert_double_eq_tol(fds_ratio(&c->f), c->ratio, c->ratio * 1e-12 + 1e-30);
}
END_TEST

/* The ratios from the parsers' output, as the daemon chains them. */
START_TEST(test_ratios_from_text) {
        SockStat s;
        FileNr f;
        uint32_t lo, hi;

        ck_assert_int_eq(sockstat_parse(SOCKSTAT("40000", "20000", "3", "8232"), &s), 0);
        ck_assert_int_eq(port_range_parse("32768\t60999\n", &lo, &hi), 28232);
        ck_assert_double_eq_tol(ports_ratio(&s, lo, hi), 1, 1e-12);

        ck_assert_int_eq(file_nr_parse("1233088\t0\t2466176\n", &f), 0);
        ck_assert_double_eq_tol(fds_ratio(&f), 0.5, 1e-12);
}
END_TEST

#define PROC_FILE_MAX (256 * 1024)

/* /proc/net/snmp on the same machine: the Tcp pair, whose MaxConn is -1. */
#define SNMP_TCP(opens)                                                                                          \
        "Ip: Forwarding DefaultTTL InReceives\nIp: 2 64 57036\n"                                                 \
        "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab"    \
        " InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"                                              \
        "Tcp: 1 200 120000 -1 " opens " 4 1 0 0 53116 44035 0 0 2 0\n"                                           \
        "Udp: InDatagrams NoPorts\nUdp: 8 0\n"

typedef struct SnmpCase {
        const char *text;
        int ret;
        uint64_t active_opens;
} SnmpCase;

static const SnmpCase snmp_cases[] = {
        { SNMP_TCP("1943"), 0, 1943 },
        { SNMP_TCP(U64_MAX_STR), 0, UINT64_MAX },
        { "Tcp: ActiveOpens\nTcp: 7\n", 0, 7 },
        { "Tcp: MaxConn ActiveOpens\nTcp: -1 7\n", 0, 7 },
        { SNMP_TCP("-1"), -EINVAL },                     /* ActiveOpens itself is never negative */
        { SNMP_TCP(U64_PAST_MAX_STR), -EINVAL },
        { "Tcp: MaxConn ActiveOpens\nTcp: - 7\n", -EINVAL }, /* a lone minus is no number */
        { "Tcp: MaxConn ActiveOpens\nTcp: --1 7\n", -EINVAL },
        { "Tcp: MaxConn ActiveOpens\nTcp: 7\n", -EINVAL },
        { "Ip: Forwarding\nIp: 2\n", -EINVAL },          /* no Tcp pair */
        { "TcpExt: ActiveOpens\nTcpExt: 7\n", -EINVAL }, /* not the same label */
        { "Tcp: ActiveOpens ActiveOpens\nTcp: 1 2\n", -EINVAL },
};

START_TEST(test_snmp_parse) {
        const SnmpCase *c = &snmp_cases[_i];
        uint64_t v = 42;

        ck_assert_int_eq(snmp_parse_active_opens(c->text, &v), c->ret);
        ck_assert_uint_eq(v, c->ret < 0 ? 42 : c->active_opens);
}
END_TEST

/* The real files of this process's network namespace: the parsers must accept what this kernel writes. A
 * listening socket of this process shows in sockstat. */
START_TEST(test_real_proc) {
        _cleanup_free_ char *netstat = NULL, *sockstat = NULL, *file_nr = NULL, *range = NULL;
        _cleanup_close_ int fd = -1;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ListenCounters c;
        SockStat s;
        FileNr f;
        uint32_t lo, hi;
        int r;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_msg(fd >= 0, "socket: %m");
        ck_assert_msg(bind(fd, (struct sockaddr *) &sa, sizeof sa) >= 0, "bind: %m");
        ck_assert_msg(listen(fd, 1) >= 0, "listen: %m");

        ck_assert_int_eq(read_file_full("/proc/self/net/netstat", PROC_FILE_MAX, &netstat, NULL), 0);
        ck_assert_int_eq(netstat_parse_listen(netstat, &c), 0);

        _cleanup_free_ char *snmp = NULL;
        uint64_t opens;
        ck_assert_int_eq(read_file_full("/proc/self/net/snmp", PROC_FILE_MAX, &snmp, NULL), 0);
        ck_assert_int_eq(snmp_parse_active_opens(snmp, &opens), 0);

        ck_assert_int_eq(read_file_full("/proc/self/net/sockstat", PROC_FILE_MAX, &sockstat, NULL), 0);
        ck_assert_int_eq(sockstat_parse(sockstat, &s), 0);
        ck_assert_uint_ge(s.tcp_inuse, 1);
        ck_assert_uint_ge(s.sockets_used, 1);

        ck_assert_int_eq(read_file_full("/proc/sys/fs/file-nr", PROC_FILE_MAX, &file_nr, NULL), 0);
        ck_assert_int_eq(file_nr_parse(file_nr, &f), 0);
        ck_assert_uint_ge(f.allocated, 1);
        ck_assert_uint_gt(f.max, 0);

        ck_assert_int_eq(read_file_full("/proc/sys/net/ipv4/ip_local_port_range", PROC_FILE_MAX, &range, NULL), 0);
        r = port_range_parse(range, &lo, &hi);
        ck_assert_int_gt(r, 0);
        ck_assert_uint_eq(hi - lo + 1, (unsigned) r);
        ck_assert_double_gt(ports_ratio(&s, lo, hi), 0);
        ck_assert_double_gt(fds_ratio(&f), 0);
}
END_TEST

static Suite *netstat_suite(void) {
        Suite *s = suite_create("netstat");
        TCase *tc;

        tc = tcase_create("parsers");
        tcase_add_loop_test(tc, test_netstat_parse_listen, 0, ELEMENTSOF(netstat_cases));
        tcase_add_loop_test(tc, test_snmp_parse, 0, ELEMENTSOF(snmp_cases));
        tcase_add_loop_test(tc, test_sockstat_parse, 0, ELEMENTSOF(sockstat_cases));
        tcase_add_loop_test(tc, test_file_nr_parse, 0, ELEMENTSOF(file_nr_cases));
        tcase_add_loop_test(tc, test_port_range_parse, 0, ELEMENTSOF(port_range_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("ratios");
        tcase_add_loop_test(tc, test_ports_ratio, 0, ELEMENTSOF(ports_ratio_cases));
        tcase_add_loop_test(tc, test_fds_ratio, 0, ELEMENTSOF(fds_ratio_cases));
        tcase_add_test(tc, test_ratios_from_text);
        suite_add_tcase(s, tc);

        tc = tcase_create("proc");
        tcase_add_test(tc, test_real_proc);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(netstat_suite());
}
