// Java: System.getenv (the JVM copies environ at its first use).
// The runtime contract is in README. The child goes through ProcessBuilder
// (jspawnhelper), with the JVM's environment as Java passes it.
public class RtGetEnv {
    public static void main(String[] args) throws Exception {
        String v = System.getenv("RT_SECRET");
        if (v == null || v.isEmpty()) {
            System.err.println("rt: RT_SECRET missing");
            System.exit(3);
        }
        System.out.println(v);
        System.out.flush();
        Process p = new ProcessBuilder("sleep", "1").inheritIO().start();
        System.exit(p.waitFor() == 0 ? 0 : 4);
    }
}
