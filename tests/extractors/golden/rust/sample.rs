struct Meter;

impl Meter {
    // expect: name=read ccn=9 cognitive=8 max_nesting=2 params=2 nloc=18
    // ccn 1 + ?, if, &&, else-if's if, for, while, match arms after the first (2) = 9;
    // cognitive: if 1, && 1, else if 1, for 1, while 1+1, labelled break 1, match 1 = 8
    fn read(&self, v: Option<i32>) -> Result<i32, String> {
        let n = v.ok_or("none")?;
        if n > 0 && n < 10 {
            return Ok(n);
        } else if n == 0 {
            return Ok(0);
        }
        'outer: for i in 0..n {
            while i > 3 {
                break 'outer;
            }
        }
        match n {
            1 => Ok(1),
            2 => Ok(2),
            _ => Err(String::from("big")),
        }
    }
}
