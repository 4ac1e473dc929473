// placeholder, written in step 4
