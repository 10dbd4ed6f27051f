/* expect: name=parse ccn=10 cognitive=10 max_nesting=2 params=2 nloc=25 */
/* ccn 1 + if, ||, for, case, case, while, &&, #if, ? = 10 (lizard counts #if);
   cognitive: if 1, || 1, for 1, switch 1+1, goto 1, do 1+1, && 1, ternary 1 = 10;
   the function starts on its name's line, as in lizard */
static int
parse(const char *text, int size)
{
    int i;
    if (text == NULL || size <= 0)
        return -1;
    for (i = 0; i < size; i++) {
        switch (text[i]) {
        case 'a':
            break;
        case 'b':
            goto fail;
        default:
            break;
        }
        do {
            i++;
        } while (i < size && text[i] != ' ');
    }
#if defined(EXTRA)
    i = size ? i : 0;
#endif
    return i;
fail:
    return -2;
}

/* (void) declares no parameter */
/* expect: name=nothing ccn=1 cognitive=0 max_nesting=0 params=0 nloc=1 */
int nothing(void) { return 0; }
