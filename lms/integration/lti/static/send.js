// Posts the deep linking answer back to the platform at once; without scripts, its button does the same.
document.getElementById("lti-answer").submit();
