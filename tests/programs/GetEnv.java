// Java copies environ at start: System.getenv only sees a mapped value when
// the preload placed it there before main (auto mode -> eager for java).
// usage: java GetEnv NAME EXPECTED   prints: java=OK|NULL|BAD
public class GetEnv {
    public static void main(String[] args) {
        String v = System.getenv(args[0]);
        System.out.println("java=" + (v == null ? "NULL" : v.equals(args[1]) ? "OK" : "BAD"));
    }
}
