// SPDX-License-Identifier: MIT
// TermHook LOG STOP IMGDIR: a JVM with a shutdown hook and three worker
// threads, under MTCP_ON_TERM (on_term_jvm.sh).  It writes to LOG:
//   progress N            every 10 ms
//   hook images=K stop=B  when the shutdown hook runs (SIGTERM, or the end
//                         after STOP: B); K: the *.mtcp files in IMGDIR then
//   DONE n=N memory=ok    after STOP appears, the workers' arrays checked
import java.io.File;
import java.io.FileWriter;
import java.io.IOException;
import java.util.Arrays;

public class TermHook {
    static FileWriter log;
    static volatile boolean stopping;

    static synchronized void say(String line) {
        try {
            log.write(line + "\n");
            log.flush();
        } catch (IOException e) {
            System.exit(3);
        }
    }

    public static void main(String[] args) throws Exception {
        log = new FileWriter(args[0], true);
        File stop = new File(args[1]);
        File imgdir = new File(args[2]);
        long[][] data = new long[3][1 << 20];
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            String[] imgs = imgdir.list((d, n) -> n.endsWith(".mtcp"));
            say("hook images=" + (imgs == null ? -1 : imgs.length) + " stop=" + stopping);
        }));
        for (int k = 0; k < 3; k++) {
            final long[] a = data[k];
            Thread t = new Thread(() -> {
                for (long r = 1; ; r++) {
                    synchronized (a) {
                        Arrays.fill(a, r);
                    }
                }
            }, "term-worker-" + k);
            t.setDaemon(true);
            t.start();
        }
        long n = 0;
        while (!stop.exists()) {
            say("progress " + (++n));
            Thread.sleep(10);
        }
        stopping = true;
        boolean ok = true;
        for (long[] a : data) {
            synchronized (a) {
                for (long v : a)
                    ok &= v == a[0];
            }
        }
        say("DONE n=" + n + " memory=" + (ok ? "ok" : "BAD"));
    }
}
