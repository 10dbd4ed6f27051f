class Sample
{
    // expect: name=Pick ccn=6 cognitive=8 max_nesting=2 params=2 nloc=23
    // ccn 1 + if, &&, else-if's if, ??, case = 6 (foreach and default are not lizard
    // condition tokens); cognitive: if 1, && 1, else if 1, foreach 1, switch 1+1 = 6, plus
    // the lambda's ternary one level deeper (the lambda nests): 1+1 = 8
    int Pick(int a, string b)
    {
        if (a > 0 && b != null)
        {
            return 1;
        }
        else if (a < 0)
        {
            return -1;
        }
        foreach (var c in b ?? "")
        {
            switch (c)
            {
                case 'x':
                    return 2;
                default:
                    break;
            }
        }
        Func<int, int> f = x => x > 0 ? 1 : 0;
        return a;
    }
    // the lambda: ccn 1 + ?; cognitive ternary 1
    // expect: name=(anonymous) ccn=2 cognitive=1 max_nesting=1 params=1 nloc=1
}
