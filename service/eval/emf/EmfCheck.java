import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.function.Function;

import org.eclipse.emf.common.util.Diagnostic;
import org.eclipse.emf.common.util.TreeIterator;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.common.util.WrappedException;
import org.eclipse.emf.ecore.EAttribute;
import org.eclipse.emf.ecore.EClass;
import org.eclipse.emf.ecore.EClassifier;
import org.eclipse.emf.ecore.EDataType;
import org.eclipse.emf.ecore.EFactory;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.emf.ecore.EPackage;
import org.eclipse.emf.ecore.EReference;
import org.eclipse.emf.ecore.EStructuralFeature;
import org.eclipse.emf.ecore.EValidator;
import org.eclipse.emf.ecore.EcorePackage;
import org.eclipse.emf.ecore.impl.EPackageRegistryImpl;
import org.eclipse.emf.ecore.resource.Resource;
import org.eclipse.emf.ecore.resource.ResourceSet;
import org.eclipse.emf.ecore.resource.impl.ResourceSetImpl;
import org.eclipse.emf.ecore.util.Diagnostician;
import org.eclipse.emf.ecore.util.EcoreUtil;
import org.eclipse.emf.ecore.util.ExtendedMetaData;
import org.eclipse.emf.ecore.util.FeatureMap;
import org.eclipse.emf.ecore.util.FeatureMapUtil;
import org.eclipse.emf.ecore.xmi.IllegalValueException;
import org.eclipse.emf.ecore.xmi.XMLHelper;
import org.eclipse.emf.ecore.xmi.XMLResource;
import org.eclipse.emf.ecore.xmi.impl.XMIResourceFactoryImpl;
import org.eclipse.emf.ecore.xmi.impl.XMIResourceImpl;
import org.eclipse.emf.ecore.xmi.impl.XMLHelperImpl;
import org.eclipse.emf.ecore.xmi.impl.XMLResourceImpl;
import org.eclipse.emf.ecore.xml.namespace.XMLNamespacePackage;
import org.eclipse.emf.ecore.xml.type.XMLTypePackage;

/**
 * Conformance judge for XMI: loads models with the real Eclipse EMF (standalone), reports what
 * EMF complains about and a canonical, serialization-independent view of what it loaded.
 *
 * <p>Models of a metamodel carrying ExtendedMetaData (one EMF imported from an XML Schema) are
 * loaded with {@code OPTION_EXTENDED_META_DATA}, as EMF applications load them: {@code .xml}
 * files as {@code XMLResource}s, others as {@code XMIResource}s. Feature maps appear in the
 * canonical view as {@code <path>.<feature> = [<entry feature>: <value or path>, ...]}.
 *
 * <p>Usage: {@code java EmfCheck --ecore a.ecore [--ecore b.ecore ...] MODEL.xmi [MODEL2.xmi ...]}
 * Prints {@code {"models":[{"file","errors","warnings","canonical"}]}} on stdout; exits 0 when it
 * ran (even if models are broken), 2 on usage or metamodel/IO failures of its own.
 *
 * <p>Errors are EMF's load errors and warnings, unresolved proxies and Diagnostician ERRORs, plus
 * three "EmfCheck:" findings for things EMF's loader silently gets wrong: objects it created but
 * dropped from the tree, a single-valued feature given more than once, and a default load whose
 * references differ from a load with OPTION_DEFER_IDREF_RESOLUTION (one-sided eOpposite ends).
 *
 * <p>Canonical lines, in containment-tree order (roots in resource order, then eAllContents):
 * {@code <path> : <nsURI>#<EClass>}, then per set, non-derived, non-transient feature sorted by
 * name {@code <path>.<attr> = "v"} / {@code = ["v1", "v2"]} (JSON-quoted
 * EcoreUtil.convertToString) and {@code <path>.<ref> -> <target>} / {@code -> [<t1>, <t2>]}.
 * Paths: {@code #<root index>} then {@code /<feature>[<index>]} ({@code /<feature>} when
 * single-valued). Targets in other model files are prefixed by their relative URI, metamodel
 * objects are their URI, unresolved proxies {@code proxy:<uri>}. Containment and container
 * references are implied by the paths and not listed.
 */
public final class EmfCheck {

  private static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  private EmfCheck() {}

  public static void main(String[] args) {
    // EDate values are rendered with the JVM's zone; pin it so canonical views are stable.
    TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try {
      List<File> ecores = new ArrayList<>();
      List<File> models = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--ecore")) {
          if (++i >= args.length) {
            throw new UsageException("--ecore needs a file");
          }
          ecores.add(existing(args[i]));
        } else if (arg.startsWith("--")) {
          throw new UsageException("unknown option " + arg);
        } else {
          models.add(existing(arg));
        }
      }
      EPackage.Registry registry = loadMetamodels(ecores);
      StringBuilder json = new StringBuilder("{\"models\":[");
      for (int i = 0; i < models.size(); i++) {
        if (i > 0) {
          json.append(',');
        }
        json.append('\n');
        checkModel(models.get(i), registry).appendJson(json);
      }
      json.append("\n]}");
      out.println(json);
    } catch (UsageException e) {
      System.err.println("EmfCheck: " + e.getMessage());
      System.err.println("usage: EmfCheck --ecore a.ecore [--ecore b.ecore ...] MODEL.xmi ...");
      System.exit(2);
    } catch (Exception e) {
      System.err.println("EmfCheck: " + e);
      e.printStackTrace();
      System.exit(2);
    }
  }

  private static File existing(String path) throws UsageException {
    File f = new File(path).getAbsoluteFile().toPath().normalize().toFile();
    if (!f.isFile()) {
      throw new UsageException("no such file: " + path);
    }
    return f;
  }

  private static URI fileUri(File f) {
    return URI.createFileURI(f.getPath());
  }

  // ---------------------------------------------------------------- metamodels

  /** Loaded .ecore resources, handed to every model ResourceSet so schemaLocation reuses them. */
  private static final List<Resource> METAMODEL_RESOURCES = new ArrayList<>();

  /** Whether the metamodel carries ExtendedMetaData, so models load with it. */
  private static boolean extendedMetaData;

  /** What a loader did that EMF does not report: objects made, single values given twice. */
  private static final class Tracker {
    final List<EObject> created = new ArrayList<>();
    final Map<EObject, List<EStructuralFeature>> assigned = new IdentityHashMap<>();
    final List<EObject> repeatedObjects = new ArrayList<>();
    final List<EStructuralFeature> repeatedFeatures = new ArrayList<>();

    void created(EObject o) {
      if (o != null) {
        created.add(o);
      }
    }

    void assigned(EObject object, EStructuralFeature feature) {
      if (feature.isMany()) {
        return;
      }
      List<EStructuralFeature> seen = assigned.computeIfAbsent(object, k -> new ArrayList<>());
      if (seen.contains(feature)) {
        repeatedObjects.add(object);
        repeatedFeatures.add(feature);
      } else {
        seen.add(feature);
      }
    }
  }

  /**
   * Every model resource's {@link Tracker}: EMF sometimes drops an object without any error
   * (e.g. a wrongly typed value for an eOpposite reference detaches it from its container), and
   * only a before/after comparison of what the loader made reveals that.
   */
  private static final Map<Resource, Tracker> TRACKERS = new IdentityHashMap<>();

  /** A loader helper (XMIHelperImpl adds nothing to XMLHelperImpl) reporting to a Tracker. */
  private static final class TrackingHelper extends XMLHelperImpl {
    private final Tracker tracker;

    TrackingHelper(XMLResource resource) {
      super(resource);
      tracker = TRACKERS.computeIfAbsent(resource, r -> new Tracker());
    }

    @Override
    public EObject createObject(EFactory eFactory, EClassifier type) {
      EObject o = super.createObject(eFactory, type);
      tracker.created(o);
      return o;
    }

    @Override
    public void setValue(EObject object, EStructuralFeature feature, Object value, int pos) {
      tracker.assigned(object, feature);
      super.setValue(object, feature, value, pos);
    }
  }

  /** An XMI resource whose loader reports to a Tracker. */
  private static final class TrackedXmi extends XMIResourceImpl {
    TrackedXmi(URI uri) { super(uri); }
    @Override protected XMLHelper createXMLHelper() { return new TrackingHelper(this); }
  }

  /** A plain XML resource (an XSD-derived metamodel's document) reporting to a Tracker. */
  private static final class TrackedXml extends XMLResourceImpl {
    TrackedXml(URI uri) { super(uri); }
    @Override protected XMLHelper createXMLHelper() { return new TrackingHelper(this); }
  }

  /** Makes resources of one kind. */
  private static final class TrackingFactory extends XMIResourceFactoryImpl {
    private final Function<URI, Resource> make;

    TrackingFactory(Function<URI, Resource> make) {
      this.make = make;
    }

    @Override
    public Resource createResource(URI uri) {
      return make.apply(uri);
    }
  }

  /** XMI files, and {@code .xml} files as plain XML resources. */
  private static void registerFactories(ResourceSet rs) {
    Map<String, Object> ext = rs.getResourceFactoryRegistry().getExtensionToFactoryMap();
    TrackingFactory xmi = new TrackingFactory(TrackedXmi::new);
    ext.put("*", xmi);
    ext.put("ecore", xmi);
    ext.put("xmi", xmi);
    ext.put("xml", new TrackingFactory(TrackedXml::new));
  }

  private static boolean hasExtendedMetaData(EPackage p) {
    for (Iterator<EObject> it = p.eAllContents(); it.hasNext(); ) {
      EObject o = it.next();
      if (o instanceof org.eclipse.emf.ecore.EModelElement
          && ((org.eclipse.emf.ecore.EModelElement) o).getEAnnotation(ExtendedMetaData.ANNOTATION_URI)
              != null) {
        return true;
      }
    }
    return false;
  }

  private static EPackage.Registry loadMetamodels(List<File> ecores) throws Exception {
    EcorePackage.eINSTANCE.eClass();
    EPackage.Registry.INSTANCE.put(EcorePackage.eNS_URI, EcorePackage.eINSTANCE);
    EPackage.Registry.INSTANCE.put(XMLTypePackage.eNS_URI, XMLTypePackage.eINSTANCE);
    EPackage.Registry.INSTANCE.put(XMLNamespacePackage.eNS_URI, XMLNamespacePackage.eINSTANCE);
    EPackage.Registry registry = new EPackageRegistryImpl(EPackage.Registry.INSTANCE);
    ResourceSet rs = new ResourceSetImpl();
    rs.setPackageRegistry(registry);
    registerFactories(rs);
    List<Resource> resources = new ArrayList<>();
    for (File f : ecores) {
      Resource r = rs.getResource(fileUri(f), true);
      resources.add(r);
    }
    // Cross-file references (other.ecore#//X) resolve against the same ResourceSet.
    EcoreUtil.resolveAll(rs);
    List<String> problems = new ArrayList<>();
    for (Resource r : new ArrayList<>(rs.getResources())) {
      for (Resource.Diagnostic d : r.getErrors()) {
        problems.add(r.getURI() + ": " + d.getMessage());
      }
    }
    Map<EObject, Collection<EStructuralFeature.Setting>> proxies =
        EcoreUtil.UnresolvedProxyCrossReferencer.find(rs);
    for (EObject proxy : proxies.keySet()) {
      problems.add("unresolved metamodel reference " + EcoreUtil.getURI(proxy));
    }
    if (!problems.isEmpty()) {
      throw new Exception("metamodel does not load: " + String.join("; ", problems));
    }
    for (Resource r : new ArrayList<>(rs.getResources())) {
      METAMODEL_RESOURCES.add(r);
      boolean fileMapped = false;
      for (Iterator<EObject> it = r.getAllContents(); it.hasNext(); ) {
        EObject o = it.next();
        if (!(o instanceof EPackage)) {
          continue;
        }
        EPackage p = (EPackage) o;
        extendedMetaData |= hasExtendedMetaData(p);
        String ns = p.getNsURI();
        if (ns != null && !ns.isEmpty()) {
          registry.put(ns, p);
        } else if (!fileMapped) {
          registry.put(r.getURI().toString(), p);
          fileMapped = true;
        }
      }
      if (!fileMapped && !r.getContents().isEmpty() && r.getContents().get(0) instanceof EPackage) {
        String key = r.getURI().toString();
        if (!registry.containsKey(key)) {
          registry.put(key, r.getContents().get(0));
        }
      }
    }
    return registry;
  }

  // ---------------------------------------------------------------- models

  private static final class Result {
    final String file;
    final List<String> errors = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    final List<String> canonical = new ArrayList<>();

    Result(String file) {
      this.file = file;
    }

    void appendJson(StringBuilder sb) {
      sb.append("{\"file\":");
      quote(sb, file);
      sb.append(",\"errors\":");
      array(sb, errors);
      sb.append(",\"warnings\":");
      array(sb, warnings);
      sb.append(",\"canonical\":");
      array(sb, canonical);
      sb.append('}');
    }
  }

  /** One load of a model file, with what went wrong while loading. */
  private static final class Loaded {
    final ResourceSetImpl rs = new ResourceSetImpl();
    final Resource resource;
    final Canon canon;
    final List<String> errors = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();

    Loaded(File file, EPackage.Registry registry, boolean deferIdrefs) {
      rs.setPackageRegistry(registry);
      registerFactories(rs);
      rs.setURIResourceMap(new HashMap<>());
      for (Resource mm : METAMODEL_RESOURCES) {
        rs.getURIResourceMap().put(mm.getURI(), mm); // schemaLocation reuses the loaded .ecore
      }
      if (deferIdrefs) {
        rs.getLoadOptions().put(XMLResource.OPTION_DEFER_IDREF_RESOLUTION, Boolean.TRUE);
      }
      if (extendedMetaData) {
        rs.getLoadOptions().put(XMLResource.OPTION_EXTENDED_META_DATA, Boolean.TRUE);
      }
      resource = rs.createResource(fileUri(file));
      canon = new Canon(rs, resource);
      try {
        resource.load(rs.getLoadOptions());
      } catch (Exception | LinkageError e) {
        errors.add(describe(e));
      }
      try {
        EcoreUtil.resolveAll(rs);
      } catch (RuntimeException e) {
        addUnique(errors, describe(e));
      }
      for (Resource r : new ArrayList<>(rs.getResources())) {
        String prefix = r == resource ? "" : r.getURI() + ": ";
        for (Resource.Diagnostic d : r.getErrors()) {
          addUnique(errors, prefix + describe(d));
        }
        for (Resource.Diagnostic d : r.getWarnings()) {
          addUnique(warnings, prefix + describe(d));
        }
      }
    }

    /** The exception thrown by load repeats the first recorded diagnostic; name it once. */
    private String describe(Throwable t) {
      Throwable c = t;
      while (c.getCause() != null && c.getCause() != c
          && (c instanceof WrappedException || c instanceof Resource.IOWrappedException)) {
        c = c.getCause();
      }
      if (c instanceof Resource.Diagnostic) {
        return describe((Resource.Diagnostic) c);
      }
      return c.getClass().getSimpleName() + ": " + c.getMessage();
    }

    private String describe(Resource.Diagnostic d) {
      if (d instanceof IllegalValueException) {
        // EMF's own message prints the value's toString(); say which object and feature.
        IllegalValueException e = (IllegalValueException) d;
        Object v = e.getValue();
        String value = v instanceof EObject ? canon.label((EObject) v) : String.valueOf(v);
        String where = e.getLine() < 0 ? "" : " (line " + e.getLine() + ", column " + e.getColumn() + ")";
        String object = e.getObject() == null ? "?" : canon.label(e.getObject());
        String feature = e.getFeature() == null ? "?" : e.getFeature().getName();
        return "IllegalValueException: value '" + value + "' is not legal for "
            + object + "." + feature + where;
      }
      String kind = d instanceof Throwable ? d.getClass().getSimpleName() + ": " : "";
      return kind + d.getMessage();
    }

    Tracker tracked() {
      return TRACKERS.getOrDefault(resource, new Tracker());
    }

    /** Objects the parser created that did not end up in the resource's tree. */
    int lostObjects() {
      int lost = 0;
      for (EObject o : tracked().created) {
        if (!o.eIsProxy() && o.eResource() != resource) {
          lost++;
        }
      }
      return lost;
    }

    void reportRepeats(List<String> errors) {
      Tracker t = tracked();
      for (int i = 0; i < t.repeatedObjects.size(); i++) {
        addUnique(errors, "EmfCheck: the file gives single-valued feature '"
            + t.repeatedFeatures.get(i).getName() + "' of '"
            + canon.label(t.repeatedObjects.get(i)) + "' more than once; EMF keeps one");
      }
    }
  }

  private static Result checkModel(File file, EPackage.Registry registry) {
    Result result = new Result(file.getPath());
    Loaded main = new Loaded(file, registry, false);
    result.errors.addAll(main.errors);
    result.warnings.addAll(main.warnings);
    Canon canon = main.canon;
    try {
      Map<EObject, Collection<EStructuralFeature.Setting>> proxies =
          EcoreUtil.UnresolvedProxyCrossReferencer.find(main.resource);
      for (Map.Entry<EObject, Collection<EStructuralFeature.Setting>> e : proxies.entrySet()) {
        for (EStructuralFeature.Setting s : e.getValue()) {
          result.errors.add("unresolved proxy " + EcoreUtil.getURI(e.getKey()) + " in "
              + canon.label(s.getEObject()) + "." + s.getEStructuralFeature().getName());
        }
      }
    } catch (RuntimeException e) {
      addUnique(result.errors, "proxy check failed: " + e);
    }
    try {
      Map<Object, Object> context = Diagnostician.INSTANCE.createDefaultContext();
      context.put(EValidator.SubstitutionLabelProvider.class, canon);
      for (EObject root : main.resource.getContents()) {
        collect(Diagnostician.INSTANCE.validate(root, context), result);
      }
    } catch (RuntimeException e) {
      addUnique(result.errors, "Diagnostician crashed: " + e);
    }
    try {
      canon.lines(result.canonical);
    } catch (RuntimeException e) {
      addUnique(result.errors, "canonical view failed: " + e);
    }
    if (!main.errors.isEmpty()) {
      return result;
    }
    // EMF's XMI loader drops some things without a word; catch that by comparison.
    int lost = main.lostObjects();
    if (lost > 0) {
      result.errors.add("EmfCheck: EMF silently dropped " + lost + " of the "
          + main.tracked().created.size()
          + " objects it read from the file (e.g. a wrongly typed value of an eOpposite"
          + " reference detaches its target)");
      return result;
    }
    // The default loader relies on both ends of an eOpposite pair being written; with
    // OPTION_DEFER_IDREF_RESOLUTION it sets every reference the file states. A difference
    // means the default (Eclipse's) load lost or reordered references.
    Loaded deferred = new Loaded(file, registry, true);
    main.reportRepeats(result.errors);
    deferred.reportRepeats(result.errors);
    List<String> other = new ArrayList<>();
    try {
      deferred.canon.lines(other);
    } catch (RuntimeException e) {
      return result;
    }
    if (!other.equals(result.canonical)) {
      List<String> onlyDefault = new ArrayList<>(result.canonical);
      onlyDefault.removeAll(other);
      List<String> onlyFile = new ArrayList<>(other);
      onlyFile.removeAll(result.canonical);
      result.errors.add("EmfCheck: EMF's default load differs from what the file states"
          + " (one-sided or inconsistent eOpposite ends, or duplicates?): loaded "
          + onlyDefault + " but the file states " + onlyFile
          + (deferred.errors.isEmpty() ? "" : "; deferred load errors: " + deferred.errors));
    }
    return result;
  }

  private static void addUnique(List<String> list, String s) {
    if (!list.contains(s)) {
      list.add(s);
    }
  }

  private static void collect(Diagnostic d, Result result) {
    if (d.getChildren().isEmpty()) {
      if (d.getSeverity() >= Diagnostic.ERROR) {
        result.errors.add(d.getMessage());
      } else if (d.getSeverity() == Diagnostic.WARNING) {
        result.warnings.add(d.getMessage());
      }
      return;
    }
    for (Diagnostic c : d.getChildren()) {
      collect(c, result);
    }
  }

  // ---------------------------------------------------------------- canonical view

  /** Paths by containment (feature names + indexes), so ids and fragment styles don't matter. */
  private static final class Canon implements EValidator.SubstitutionLabelProvider {
    private final ResourceSet rs;
    private final Resource main;
    private final Map<EObject, String> paths = new IdentityHashMap<>();
    private final Map<Resource, Boolean> indexed = new HashMap<>();

    Canon(ResourceSet rs, Resource main) {
      this.rs = rs;
      this.main = main;
    }

    private void index(Resource r) {
      if (indexed.put(r, Boolean.TRUE) != null) {
        return;
      }
      List<EObject> roots = r.getContents();
      for (int i = 0; i < roots.size(); i++) {
        EObject root = roots.get(i);
        paths.put(root, "#" + i);
        for (TreeIterator<EObject> it = root.eAllContents(); it.hasNext(); ) {
          EObject o = it.next();
          paths.put(o, paths.get(o.eContainer()) + "/" + step(o));
        }
      }
    }

    private static String step(EObject o) {
      EReference f = o.eContainmentFeature();
      if (f == null) {
        return "?";
      }
      if (f.isMany()) {
        List<?> siblings = (List<?>) o.eContainer().eGet(f, false);
        return f.getName() + "[" + siblings.indexOf(o) + "]";
      }
      return f.getName();
    }

    /** True for resources holding instance models (not metamodels loaded by reference). */
    private boolean isModel(Resource r) {
      return r != null && r.getResourceSet() == rs && !METAMODEL_RESOURCES.contains(r);
    }

    String path(EObject o) {
      if (o.eIsProxy()) {
        return "proxy:" + EcoreUtil.getURI(o);
      }
      Resource r = o.eResource();
      if (r == null) {
        return "detached:" + o.eClass().getName();
      }
      if (!isModel(r)) {
        return EcoreUtil.getURI(o).deresolve(main.getURI()).toString();
      }
      index(r);
      String p = paths.get(o);
      if (p == null) {
        p = "?" + EcoreUtil.getURI(o);
      }
      if (r != main) {
        p = r.getURI().deresolve(main.getURI()) + p;
      }
      return p;
    }

    String label(EObject o) {
      return o.eClass().getName() + " " + path(o);
    }

    private static String classId(EClass c) {
      EPackage p = c.getEPackage();
      String ns = p == null ? null : p.getNsURI();
      if (ns == null || ns.isEmpty()) {
        ns = p == null ? "?" : EcoreUtil.getURI(p).toString();
      }
      return ns + "#" + c.getName();
    }

    void lines(List<String> out) {
      index(main);
      for (EObject root : main.getContents()) {
        emit(root, out);
        for (TreeIterator<EObject> it = root.eAllContents(); it.hasNext(); ) {
          EObject o = it.next();
          EReference holder = o.eContainmentFeature();
          if (holder != null && holder.isTransient() && !holder.isDerived()) {
            it.prune(); // bookkeeping such as a document root's namespace prefixes
            continue;
          }
          emit(o, out);
        }
      }
    }

    private void emit(EObject o, List<String> out) {
      String p = path(o);
      out.add(p + " : " + classId(o.eClass()));
      List<EStructuralFeature> features = new ArrayList<>(o.eClass().getEAllStructuralFeatures());
      features.sort((a, b) -> a.getName().compareTo(b.getName()));
      for (EStructuralFeature f : features) {
        if (f.isDerived() || f.isTransient() || !o.eIsSet(f)) {
          continue;
        }
        if (f instanceof EReference) {
          EReference ref = (EReference) f;
          if (ref.isContainment() || ref.isContainer()) {
            continue; // shown by the paths themselves
          }
          StringBuilder sb = new StringBuilder(p).append('.').append(f.getName()).append(" -> ");
          Object v = o.eGet(f, false);
          if (f.isMany()) {
            sb.append('[');
            int i = 0;
            for (Object t : (List<?>) v) {
              if (i++ > 0) {
                sb.append(", ");
              }
              sb.append(path((EObject) t));
            }
            sb.append(']');
          } else {
            sb.append(v == null ? "null" : path((EObject) v));
          }
          out.add(sb.toString());
        } else if (FeatureMapUtil.isFeatureMap(f)) {
          StringBuilder sb = new StringBuilder(p).append('.').append(f.getName()).append(" = [");
          int i = 0;
          for (FeatureMap.Entry e : (FeatureMap) o.eGet(f)) {
            if (i++ > 0) {
              sb.append(", ");
            }
            EStructuralFeature ef = e.getEStructuralFeature();
            sb.append(ExtendedMetaData.INSTANCE.getName(ef)).append(": ");
            Object v = e.getValue();
            if (v instanceof EObject) {
              sb.append(path((EObject) v));
            } else if (ef instanceof EAttribute) {
              value(sb, ((EAttribute) ef).getEAttributeType(), v);
            } else {
              quote(sb, String.valueOf(v));
            }
          }
          out.add(sb.append(']').toString());
        } else {
          EAttribute attr = (EAttribute) f;
          EDataType type = attr.getEAttributeType();
          StringBuilder sb = new StringBuilder(p).append('.').append(f.getName()).append(" = ");
          Object v = o.eGet(f);
          if (f.isMany()) {
            sb.append('[');
            int i = 0;
            for (Object x : (List<?>) v) {
              if (i++ > 0) {
                sb.append(", ");
              }
              value(sb, type, x);
            }
            sb.append(']');
          } else {
            value(sb, type, v);
          }
          out.add(sb.toString());
        }
      }
    }

    private static void value(StringBuilder sb, EDataType type, Object v) {
      String s = v == null ? null : EcoreUtil.convertToString(type, v);
      if (s == null) {
        sb.append("null");
      } else {
        quote(sb, s);
      }
    }

    @Override
    public String getObjectLabel(EObject eObject) {
      return label(eObject);
    }

    @Override
    public String getFeatureLabel(EStructuralFeature eStructuralFeature) {
      return eStructuralFeature.getName();
    }

    @Override
    public String getValueLabel(EDataType eDataType, Object value) {
      return EcoreUtil.convertToString(eDataType, value);
    }
  }

  // ---------------------------------------------------------------- JSON

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }

  static void array(StringBuilder sb, List<String> items) {
    sb.append('[');
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      quote(sb, items.get(i));
    }
    sb.append(']');
  }
}
