#include "names.h"

#include <stdbool.h>
#include <string.h>

static bool vt_name_char_ok(char c, bool first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return !first && (c == '_' || c == '.' || c == '-');
}

int vt_name_validate(const char *name, const char *what, vt_error_t *err)
{
    if (name == NULL || *name == '\0')
        return vt_error_set(err, 0, "%s name must not be empty", what);
    size_t len = strlen(name);
    if (len > VT_NAME_MAX)
        return vt_error_set(err, 0, "%s name '%s' is longer than %d characters", what, name,
                            VT_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if (!vt_name_char_ok(name[i], i == 0))
            return vt_error_set(err, 0,
                                "invalid %s name '%s': use [A-Za-z0-9][A-Za-z0-9_.-]*", what,
                                name);
    return 0;
}
