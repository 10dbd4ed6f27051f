// Constructs the cognitive (SonarSource) and cyclomatic (lizard) rules name, one per method.
class Constructs
{
    // expect: name=Chains ccn=8 cognitive=5 max_nesting=1 params=4 nloc=12
    // ccn 1 + if, &&, && + if, ||, ||, && = 8
    // cognitive: if 1, `a && b && c` one sequence 1; if 1, `a || b || (c && d)` two sequences 2
    bool Chains(bool a, bool b, bool c, bool d)
    {
        if (a && b && c)
        {
            return true;
        }
        if (a || b || (c && d))
        {
            return false;
        }
        return a;
    }

    // expect: name=Load ccn=4 cognitive=4 max_nesting=2 params=1 nloc=23
    // ccn 1 + catch, catch, if = 4 (try and finally do not count)
    // cognitive: catch 1, catch 1, if inside a catch 1 + 1 = 4
    string Load(string path)
    {
        try
        {
            return Read(path);
        }
        catch (System.IO.IOException)
        {
            return null;
        }
        catch (System.Exception error)
        {
            if (error.Message != null)
            {
                throw;
            }
            return "";
        }
        finally
        {
            Close(path);
        }
    }

    // expect: name=Route ccn=5 cognitive=3 max_nesting=2 params=1 nloc=13
    // ccn 1 + case, case, case, ?: = 5 (default does not count)
    // cognitive: switch 1 (cases add nothing), the ternary inside the switch 1 + 1 = 3
    int Route(string command)
    {
        switch (command)
        {
            case "go":
                return 1;
            case "stop":
            case "halt":
                return 2;
            default:
                return command.Length > 0 ? 3 : 4;
        }
    }

    // expect: name=Fib ccn=2 cognitive=3 max_nesting=1 params=1 nloc=8
    // ccn 1 + if = 2; cognitive: if 1, recursive calls (bare and through this) 1 + 1 = 3
    int Fib(int n)
    {
        if (n < 2)
        {
            return n;
        }
        return Fib(n - 1) + this.Fib(n - 2);
    }

    string Read(string path) { return path; }

    void Close(string path) { }
}
