// SPDX-License-Identifier: MIT
// RtTicker LOG STOP: a JVM with threads, for tests/runtimes/jvm_jcmd.sh.
// Three worker threads ("rt-worker-1..3") each add to a counter of their own
// and to a shared AtomicLong under a lock-free loop, pausing 1 ms per step;
// the ticker thread ("rt-ticker") logs "progress TICKS total=..." every
// 50 ms and looks for the stop file.  When STOP exists the workers are told
// to stop and joined; the sum of their own counters must equal the shared
// one.  Then "DONE ..." and System.exit(0) (which also deletes the JVM's
// /tmp/hsperfdata_USER/PID file, as a JVM does when it exits).  Any
// mismatch is "FAIL ..." and exit 1.
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

public class RtTicker {
	static FileOutputStream log;

	static synchronized void log(String s) {
		try {
			log.write((s + "\n").getBytes(StandardCharsets.UTF_8));
			log.flush();
		} catch (IOException e) {
			System.exit(3);
		}
	}

	static void fail(String s) {
		log("FAIL " + s);
		System.exit(1);
	}

	static final AtomicLong total = new AtomicLong();
	static volatile boolean stopping;

	static class Worker extends Thread {
		long own;
		long mix = 1;

		Worker(int i) {
			super("rt-worker-" + i);
		}

		@Override
		public void run() {
			while (!stopping) {
				for (int k = 0; k < 1000; k++)
					mix = mix * 6364136223846793005L + 1442695040888963407L;
				own++;
				total.incrementAndGet();
				try {
					Thread.sleep(1);
				} catch (InterruptedException e) {
					return;
				}
			}
		}
	}

	public static void main(String[] args) throws Exception {
		log = new FileOutputStream(args[0], true);
		Path stop = Path.of(args[1]);
		Worker[] workers = new Worker[3];
		for (int i = 0; i < workers.length; i++) {
			workers[i] = new Worker(i + 1);
			workers[i].start();
		}
		Thread ticker = new Thread(() -> {
			long ticks = 0;
			log("started pid=" + ProcessHandle.current().pid() + " java=" + System.getProperty("java.vm.version"));
			while (!Files.exists(stop)) {
				try {
					Thread.sleep(50);
				} catch (InterruptedException e) {
					fail("ticker interrupted");
				}
				ticks++;
				log("progress " + ticks + " total=" + total.get());
			}
		}, "rt-ticker");
		ticker.start();
		ticker.join();
		stopping = true;
		long sum = 0;
		for (Worker w : workers) {
			w.join(10000);
			if (w.isAlive())
				fail(w.getName() + " did not stop");
			sum += w.own;
		}
		if (sum != total.get())
			fail("the workers counted " + sum + ", the shared counter says " + total.get());
		log("DONE total=" + sum + " pid=" + ProcessHandle.current().pid());
		System.exit(0);
	}
}
