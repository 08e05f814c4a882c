/* test_path.c - path_base_name, the one definition of "the file name". */
#include <criterion/criterion.h>

#include "path.h"

Test(path, base_name_is_after_the_last_slash)
{
    cr_expect_str_eq(path_base_name("photos/cat.png"), "cat.png");
    cr_expect_str_eq(path_base_name("/a/b/c.jpg"), "c.jpg");
    cr_expect_str_eq(path_base_name("cat.png"), "cat.png");
    cr_expect_str_eq(path_base_name("photos/"), "");
    cr_expect_str_eq(path_base_name(""), "");
    const char *p = "x/y";
    cr_expect_eq(path_base_name(p), p + 2, "a pointer into the path, not a copy");
}
