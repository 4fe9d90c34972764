/*
 * instancegen from a Java program next to Eclipse EMF: post a metamodel and a spec to
 * `instancegen serve`, wait for the job, download its XMI, and load that file into a
 * ResourceSet with the metamodel registered. Only the JDK (java.net.http) and EMF's common,
 * ecore and ecore.xmi jars are used.
 *
 *   EMF=/usr/share/java/eclipse-emf-common.jar:/usr/share/java/eclipse-emf-ecore.jar:/usr/share/java/eclipse-emf-ecore-xmi.jar
 *   javac -cp "$EMF" -d classes GenerateAndLoad.java
 *   java -cp "classes:$EMF" GenerateAndLoad http://127.0.0.1:8000 bank.ecore spec.txt [MODEL [API_BASE]]
 *
 * MODEL is the LLM as `instancegen generate --model` names it (default: local); API_BASE an
 * OpenAI-compatible server the service's operator allows (INSTANCEGEN_API_BASES). With
 * INSTANCEGEN_API_KEY set, it is sent as the bearer key. The XMI is written to the current
 * folder under the name the service gives it; the exit code is 0 when EMF loads it without
 * errors.
 */

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.emf.common.util.Diagnostic;
import org.eclipse.emf.common.util.TreeIterator;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.emf.ecore.EPackage;
import org.eclipse.emf.ecore.resource.Resource;
import org.eclipse.emf.ecore.resource.ResourceSet;
import org.eclipse.emf.ecore.resource.impl.ResourceSetImpl;
import org.eclipse.emf.ecore.util.Diagnostician;
import org.eclipse.emf.ecore.xmi.impl.EcoreResourceFactoryImpl;
import org.eclipse.emf.ecore.xmi.impl.XMIResourceFactoryImpl;

public final class GenerateAndLoad {
  private static final Duration WAIT_AT_MOST = Duration.ofMinutes(15);
  // HTTP/1.1: the JDK's default (HTTP/2) asks a plain-http server to upgrade, and uvicorn
  // then drops the request's body.
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: GenerateAndLoad SERVICE_URL METAMODEL.ecore SPEC.txt [MODEL [API_BASE]]");
      System.exit(2);
    }
    String service = args[0].replaceAll("/+$", "");
    Path ecore = Path.of(args[1]);
    String spec = Files.readString(Path.of(args[2]), StandardCharsets.UTF_8);
    String model = args.length > 3 ? args[3] : "local";
    String apiBase = args.length > 4 ? args[4] : null;

    // 1. The job: the metamodel inline, the spec, the LLM, XMI as the file to make.
    String body = "{\"metamodel\": {\"ecore\": " + json(Files.readString(ecore, StandardCharsets.UTF_8))
        + "}, \"spec\": " + json(spec) + ", \"model\": " + json(model)
        + (apiBase == null ? "" : ", \"api_base\": " + json(apiBase)) + ", \"format\": \"xmi\"}";
    HttpResponse<String> accepted = send(request(service + "/v1/jobs")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)), HttpResponse.BodyHandlers.ofString(), 202);
    String job = service + accepted.headers().firstValue("Location").orElseThrow();
    System.out.println("job " + job);

    // 2. Wait until it is over (GET /v1/jobs/{id}; /events streams the progress instead).
    Instant deadline = Instant.now().plus(WAIT_AT_MOST);
    String view = send(request(job).GET(), HttpResponse.BodyHandlers.ofString(), 200).body();
    while (status(view).equals("queued") || status(view).equals("running")) {
      if (Instant.now().isAfter(deadline)) {
        fail("the job is still " + status(view) + " after " + WAIT_AT_MOST.toMinutes() + " minutes");
      }
      Thread.sleep(500);
      view = send(request(job).GET(), HttpResponse.BodyHandlers.ofString(), 200).body();
    }
    if (!status(view).equals("finished")) {
      fail("the job " + status(view) + ": " + view);
    }

    // 3. The XMI, under the file name the service gives it (Content-Disposition).
    HttpResponse<byte[]> xmi = send(request(job + "/artifacts/xmi").GET(),
        HttpResponse.BodyHandlers.ofByteArray(), 200);
    String name = xmi.headers().firstValue("Content-Disposition")
        .map(GenerateAndLoad::filename).orElse("model.xmi");
    Path file = Path.of(name).toAbsolutePath();
    Files.write(file, xmi.body());

    // 4. Load it with the metamodel registered by its nsURI, and let EMF judge it.
    ResourceSet resources = new ResourceSetImpl();
    resources.getResourceFactoryRegistry().getExtensionToFactoryMap()
        .put("ecore", new EcoreResourceFactoryImpl());
    resources.getResourceFactoryRegistry().getExtensionToFactoryMap()
        .put("xmi", new XMIResourceFactoryImpl());
    Resource metamodel = resources.getResource(URI.createFileURI(ecore.toAbsolutePath().toString()), true);
    for (EObject content : metamodel.getContents()) {
      register((EPackage) content, resources.getPackageRegistry());
    }
    Resource instance = resources.getResource(URI.createFileURI(file.toString()), true);
    int objects = 0;
    for (TreeIterator<EObject> all = instance.getAllContents(); all.hasNext(); all.next()) {
      objects++;
    }
    int errors = instance.getErrors().size();
    for (EObject root : instance.getContents()) {
      Diagnostic diagnostic = Diagnostician.INSTANCE.validate(root);
      for (Diagnostic child : diagnostic.getChildren()) {
        if (child.getSeverity() == Diagnostic.ERROR) {
          System.err.println("EMF: " + child.getMessage());
          errors++;
        }
      }
    }
    System.out.println("loaded " + name + ": " + objects + " objects, " + errors + " errors");
    System.exit(errors == 0 ? 0 : 1);
  }

  /** A package and its subpackages, registered under their nsURIs. */
  private static void register(EPackage pkg, EPackage.Registry registry) {
    registry.put(pkg.getNsURI(), pkg);
    for (EPackage sub : pkg.getESubpackages()) {
      register(sub, registry);
    }
  }

  private static HttpRequest.Builder request(String url) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(java.net.URI.create(url))
        .timeout(Duration.ofMinutes(2));
    String key = System.getenv("INSTANCEGEN_API_KEY");
    return key == null || key.isEmpty() ? builder : builder.header("Authorization", "Bearer " + key);
  }

  /** The answer, or the service's problem (`application/problem+json`) printed and exit 1. */
  private static <T> HttpResponse<T> send(HttpRequest.Builder request,
      HttpResponse.BodyHandler<T> handler, int expected) throws IOException, InterruptedException {
    HttpResponse<T> response = HTTP.send(request.build(), handler);
    if (response.statusCode() != expected) {
      Object body = response.body();
      String text = body instanceof byte[] ? new String((byte[]) body, StandardCharsets.UTF_8) : String.valueOf(body);
      fail("HTTP " + response.statusCode() + " from " + response.uri() + ": " + text);
    }
    return response;
  }

  /** The job's own `status` (the first one in its JSON; the result's comes later). */
  private static String status(String job) {
    Matcher m = Pattern.compile("\"status\"\\s*:\\s*\"([a-z]+)\"").matcher(job);
    if (!m.find()) {
      fail("no status in " + job);
    }
    return m.group(1);
  }

  private static String filename(String disposition) {
    Matcher m = Pattern.compile("filename=\"([^\"/\\\\]+)\"").matcher(disposition);
    return m.find() ? m.group(1) : "model.xmi";
  }

  /** A JSON string literal. */
  private static String json(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  private static void fail(String message) {
    System.err.println("error: " + message);
    System.exit(1);
  }
}
