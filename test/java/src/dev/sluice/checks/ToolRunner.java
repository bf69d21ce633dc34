package dev.sluice.checks;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs Kafka's command-line tools, unchanged, one after another or side by side in one warm JVM: each tool
 * started as a JVM of its own costs 1.3-1.8 s of start-up and class loading on the CI machine, most of the
 * time of a suite that makes sixty calls. It is how Kafka's own tool tests run them: the tools leave through
 * Kafka's {@code Exit}, whose exit procedure is replaced here, so a tool's exit ends its call, not the JVM.
 *
 * <p>Tools keep state in static fields (the console consumer counts its messages in one), so a call runs
 * in a class loader of the Kafka jars that no other running call uses: an idle one left by an earlier call
 * (its classes loaded and compiled already), or a new one when every loader is busy.
 *
 * <p>Requests come one per line on standard input: {@code <id> <main class> <stdin> <arg>...}, every field
 * but the id base64 (UTF-8). Each runs on a thread of its own; what the tool and the threads it starts write
 * to System.out and System.err, and read from System.in, is that call's own. One JSON line answers each
 * request on standard output: {@code {"id", "code", "stdout", "stderr"}}. The JVM exits when its standard
 * input closes.
 */
public final class ToolRunner {
  private ToolRunner() {}

  /** The call a thread works for: the tool's own thread and every thread it starts inherit it. */
  private static final InheritableThreadLocal<Call> CURRENT = new InheritableThreadLocal<>();

  private static final PrintStream ANSWERS =
      new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
  private static final PrintStream OWN_ERR =
      new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

  /** How long a call's shutdown hooks may take before its answer goes out without them. */
  private static final long HOOK_WAIT_MS = 30_000;

  /** Thrown by the replaced exit procedure, so the tool's stack unwinds to {@link Call#run}. */
  private static final class ToolExit extends RuntimeException {
    ToolExit(int code) {
      super("tool exited with " + code, null, false, false);
    }
  }

  private static final class Call implements Runnable {
    final String id;
    final String main;
    final String[] args;
    final InputStream in;
    final ClassLoader loader;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<Thread> shutdownHooks = new ArrayList<>();
    private boolean finished;

    Call(String id, String main, byte[] stdin, String[] args, ClassLoader loader) {
      this.id = id;
      this.loader = loader;
      this.main = main;
      this.args = args;
      this.in = new ByteArrayInputStream(stdin);
    }

    @Override
    public void run() {
      CURRENT.set(this);
      Thread.currentThread().setContextClassLoader(loader);
      int code = 0;
      try {
        loader.loadClass(main).getMethod("main", String[].class).invoke(null, (Object) args);
      } catch (InvocationTargetException e) {
        code = e.getCause() instanceof ToolExit ? -1 : uncaught(e.getCause());
      } catch (ReflectiveOperationException | RuntimeException | Error e) {
        code = uncaught(e);
      }
      // -1: the exit procedure has finished the call already, with the tool's own code.
      if (code >= 0) finish(code);
      // Only now, its shutdown hooks done: the next call to take this loader finds its classes at rest.
      IDLE_LOADERS.push(loader);
    }

    /** Created now, on the tool's thread, so the hook writes to this call's output when it runs. */
    synchronized void addShutdownHook(String name, Runnable hook) {
      shutdownHooks.add(new Thread(hook, name));
    }

    /** As the JVM reports an exception that escapes main: its trace on standard error, and status 1. */
    private int uncaught(Throwable e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      synchronized (err) {
        err.writeBytes(("Exception in thread \"main\" " + trace).getBytes(StandardCharsets.UTF_8));
      }
      return 1;
    }

    /**
     * Ends the call as the JVM would end the tool's process: its shutdown hooks run (tools flush and close
     * their clients in them), then the answer goes out. The first exit wins; what the call's threads write
     * after the answer is dropped with them.
     */
    void finish(int code) {
      List<Thread> hooks;
      synchronized (this) {
        if (finished) return;
        finished = true;
        hooks = List.copyOf(shutdownHooks);
      }
      hooks.forEach(Thread::start);
      for (Thread hook : hooks) {
        try {
          hook.join(HOOK_WAIT_MS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("id", id);
      line.put("code", code);
      synchronized (out) {
        line.put("stdout", out.toString(StandardCharsets.UTF_8));
      }
      synchronized (err) {
        line.put("stderr", err.toString(StandardCharsets.UTF_8));
      }
      synchronized (ANSWERS) {
        ANSWERS.println(Json.write(line));
      }
    }
  }

  /** An output stream that writes to the current call's buffer, or to `outside` on the runner's own threads. */
  private static PrintStream dispatching(Function<Call, ByteArrayOutputStream> buffer, OutputStream outside) {
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            Call call = CURRENT.get();
            if (call == null) {
              outside.write(b, off, len);
              return;
            }
            ByteArrayOutputStream target = buffer.apply(call);
            synchronized (target) {
              target.write(b, off, len);
            }
          }
        };
    return new PrintStream(sink, true, StandardCharsets.UTF_8);
  }

  /** Loaders no running call uses; a call takes one (or makes one) and gives it back when its main returns. */
  private static final Deque<ClassLoader> IDLE_LOADERS = new ConcurrentLinkedDeque<>();

  /**
   * A class loader of the Kafka jars (this JVM's class path, the launcher having expanded libs/*), whose
   * {@code Exit} ends the current call instead of the JVM, and whose shutdown hooks are the call's.
   */
  private static ClassLoader kafkaLoader() {
    try {
      List<URL> jars = new ArrayList<>();
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        if (entry.endsWith(".jar")) jars.add(Path.of(entry).toUri().toURL());
      }
      ClassLoader loader =
          new URLClassLoader(jars.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
      Class<?> exit = loader.loadClass("org.apache.kafka.common.utils.Exit");
      Class<?> procedure = loader.loadClass("org.apache.kafka.common.utils.Exit$Procedure");
      Class<?> hookAdder = loader.loadClass("org.apache.kafka.common.utils.Exit$ShutdownHookAdder");
      Object exitProcedure =
          implement(
              loader,
              procedure,
              a -> {
                Call call = CURRENT.get();
                if (call == null) {
                  OWN_ERR.println("tool runner: exit(" + a[0] + ") outside any call: " + a[1]);
                  return;
                }
                call.finish((Integer) a[0]);
                throw new ToolExit((Integer) a[0]);
              });
      exit.getMethod("setExitProcedure", procedure).invoke(null, exitProcedure);
      exit.getMethod("setHaltProcedure", procedure).invoke(null, exitProcedure);
      // A hook belongs to the call that adds it and runs when that call ends, not with this JVM.
      Object addHook =
          implement(
              loader,
              hookAdder,
              a -> {
                Call call = CURRENT.get();
                if (call != null) call.addShutdownHook((String) a[0], (Runnable) a[1]);
              });
      exit.getMethod("setShutdownHookAdder", hookAdder).invoke(null, addHook);
      return loader;
    } catch (ReflectiveOperationException | IOException e) {
      throw new IllegalStateException("tool runner: cannot load Kafka's Exit from the class path", e);
    }
  }

  /** An instance of the one-method interface `type` (from `loader`) that runs `body` with the arguments. */
  private static Object implement(ClassLoader loader, Class<?> type, Consumer<Object[]> body) {
    return Proxy.newProxyInstance(
        loader,
        new Class<?>[] {type},
        (proxy, method, a) -> {
          if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
              case "hashCode" -> System.identityHashCode(proxy);
              case "equals" -> proxy == a[0];
              default -> type.getSimpleName() + " of the tool runner";
            };
          }
          body.accept(a);
          return null;
        });
  }

  public static void main(String[] argv) throws IOException {
    // Before any tool class or the logging backend loads, so whatever captures System.out or System.err
    // at start-up captures these.
    InputStream requests = System.in;
    System.setOut(dispatching(c -> c.out, OWN_ERR));
    System.setErr(dispatching(c -> c.err, OWN_ERR));
    System.setIn(
        new InputStream() {
          @Override
          public int read() throws IOException {
            Call call = CURRENT.get();
            return call == null ? -1 : call.in.read();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            Call call = CURRENT.get();
            return call == null ? -1 : call.in.read(b, off, len);
          }
        });
    Base64.Decoder b64 = Base64.getDecoder();
    BufferedReader lines = new BufferedReader(new InputStreamReader(requests, StandardCharsets.UTF_8));
    for (String line; (line = lines.readLine()) != null; ) {
      String[] fields = line.split(" ", -1);
      if (fields.length < 3) {
        OWN_ERR.println("tool runner: a request needs an id, a main class and stdin; got: " + line);
        continue;
      }
      String[] args =
          Arrays.stream(fields, 3, fields.length)
              .map(f -> new String(b64.decode(f), StandardCharsets.UTF_8))
              .toArray(String[]::new);
      ClassLoader loader = IDLE_LOADERS.poll();
      Call call =
          new Call(
              fields[0],
              new String(b64.decode(fields[1]), StandardCharsets.UTF_8),
              b64.decode(fields[2]),
              args,
              loader != null ? loader : kafkaLoader());
      Thread thread = new Thread(call, "tool-" + fields[0]);
      thread.setDaemon(true);
      thread.start();
    }
    // Standard input closed: the test process is gone, and so is every call it could wait for.
    Runtime.getRuntime().halt(0);
  }
}
